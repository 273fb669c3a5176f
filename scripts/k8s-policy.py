#!/usr/bin/env python3
"""Policy checks on the rendered Kubernetes manifests of deploy/k8s.

The schemas (kubernetes-validate) say whether each object is well-formed; these rules
say whether the set is what this project promises: hardened pods, probes, a shutdown
that fits in the grace period, one messaging-svc, autoscaling and disruption budgets in
prod, no secret values in prod, and references (Service -> pods, Ingress -> Service,
Secret and ConfigMap names, HPA -> Deployment, PDB -> pods) that point at something.

    kubectl kustomize deploy/k8s/overlays/prod | scripts/k8s-policy.py --profile prod -
    scripts/k8s-policy.py --profile dev rendered-dev.yaml
    scripts/k8s-policy.py --self-test     each rule must catch a manifest made to break it
    scripts/k8s-policy.py --list-rules

Exit status: 0 when every rule holds, 1 when one does not (each failure is printed as
`FAIL <profile> <Kind>/<name> [container <c>]: <rule>: <what>`), 2 on bad input.
Needs PyYAML only.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import yaml

# The six services: Deployment name -> image name (deploy/Dockerfile, docker-compose.yml).
SERVICES = {
    "rest": "rest-svc",
    "rpc": "rpc-svc",
    "ws": "ws-svc",
    "grpc": "grpc-svc",
    "graphql": "graphql-svc",
    "messaging": "messaging-svc",
}
# Its relay holds no lease: exactly one replica, never two at once, never autoscaled.
SINGLETON = "messaging"
# prod: the HPA's minReplicas, the issue's replica counts.
PROD_MIN_REPLICAS = {"rest": 2, "rpc": 2, "ws": 3, "grpc": 2, "graphql": 2}
SCALABLE = tuple(PROD_MIN_REPLICAS)
# Secrets that are referenced but created outside the manifests, per profile.
EXTERNAL_SECRETS = {
    "base": {"protocols-connections"},
    "dev": set(),
    "prod": {"protocols-connections"},
}
# Environment variables that carry credentials: never a literal value.
SECRET_ENV = ("DATABASE_URL", "AMQP_URL")
# Ingress paths whose connections stay open (WebSocket, GraphQL subscriptions, SSE,
# MQTT over WebSocket, gRPC-Web server streams) need long proxy timeouts (seconds).
STREAMING_PATHS = ("/api/ws", "/api/graphql", "/api/sse", "/mqtt", "/dummy.v1.DummyService")
LONG_TIMEOUT = 3600
ANNOTATION = "nginx.ingress.kubernetes.io/"
# ingress-nginx's strict path validation (on by default) for Prefix and Exact paths: a
# dot, as in a gRPC path (/dummy.v1.DummyService/), needs ImplementationSpecific.
STRICT_PATH = re.compile(r"^/[A-Za-z0-9_/-]*$")
DEFAULT_GRACE = 30  # the API server's default terminationGracePeriodSeconds

RULES = {
    "pod.non-root": "runAsNonRoot true (pod or every container), and no runAsUser 0",
    "pod.seccomp": "seccompProfile RuntimeDefault (or Localhost), pod or every container",
    "pod.no-token": "automountServiceAccountToken false (nothing here calls the API)",
    "container.no-escalation": "allowPrivilegeEscalation false",
    "container.not-privileged": "privileged not true",
    "container.read-only-root": "readOnlyRootFilesystem true",
    "container.drop-all": "capabilities drop ALL and add nothing",
    "container.tmp": "a volume at /tmp (the root file system is read-only)",
    "container.resources": "cpu and memory requests and limits",
    "container.probes": "readiness, liveness and startup probes",
    "service.grace": "SHUTDOWN_GRACE_SECS set, and terminationGracePeriodSeconds > preStop sleep + SHUTDOWN_GRACE_SECS",
    "service.secret-env": "DATABASE_URL and AMQP_URL from a secretKeyRef, never a literal",
    "service.present": "all six services, each a Deployment running its own image",
    "service.singleton": "messaging: replicas 1, strategy Recreate, no HPA",
    "service.rollout": "stateless services: RollingUpdate with maxUnavailable 0, maxSurge 1",
    "dev.replicas": "dev: every workload runs one replica",
    "prod.hpa": "prod: an autoscaling/v2 HPA on CPU per scalable service, minReplicas as specified",
    "prod.no-replicas": "prod: no spec.replicas on a Deployment an HPA scales",
    "prod.pdb": "prod: a PodDisruptionBudget per scalable service that still allows an eviction",
    "prod.no-secrets": "prod: no Secret objects (values come from the operator's Secret)",
    "prod.pinned-images": "prod: every image has a tag other than latest, or a digest",
    "ref.service": "each Service selects pods, on ports they declare",
    "ref.ingress": "each Ingress has ingressClassName and routes to a Service port that exists",
    "ref.config": "each Secret and ConfigMap a pod names is rendered (or known to be external)",
    "ingress.streams": "Ingresses routing streaming paths have proxy read/send timeouts >= 3600 s",
    "ingress.grpc": "a GRPC backend-protocol Ingress, with TLS, routes to grpc-svc",
    "ingress.path-chars": "Prefix and Exact paths use only letters, digits, _, - and / (ingress-nginx refuses others)",
}

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")


@dataclass
class Report:
    profile: str
    failures: list[str] = field(default_factory=list)
    fired: Counter = field(default_factory=Counter)
    checks: int = 0

    def check(self, ok: bool, rule: str, where: str, what: str) -> bool:
        """Counts one check; records a failure of `rule` at `where` unless `ok`."""
        assert rule in RULES, rule
        self.checks += 1
        if not ok:
            self.failures.append(f"FAIL {self.profile} {where}: {rule}: {what}")
            self.fired[rule] += 1
        return ok


def name_of(doc: dict) -> str:
    return f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"


def pod_template(doc: dict) -> dict | None:
    """The pod template of a workload ({"metadata", "spec"}), or None."""
    kind, spec = doc.get("kind"), doc.get("spec") or {}
    if kind == "Pod":
        return {"metadata": doc.get("metadata") or {}, "spec": spec}
    if kind == "CronJob":
        return ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template")
    if kind in WORKLOAD_KINDS:
        return spec.get("template")
    return None


def image_name(image: str) -> tuple[str, str | None, str | None]:
    """(last path component without tag, tag, digest) of an image reference."""
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    last = image.rsplit("/", 1)[-1]
    tag = None
    if ":" in last:
        last, tag = last.split(":", 1)
    return last, tag, digest


def env_map(container: dict) -> dict[str, dict]:
    return {e.get("name"): e for e in container.get("env") or []}


def labels_match(selector: dict | None, labels: dict | None) -> bool:
    """Whether matchLabels (the only form used here) selects these labels."""
    wanted = (selector or {}).get("matchLabels", selector or {})
    if not wanted or (selector or {}).get("matchExpressions"):
        return False
    labels = labels or {}
    return all(labels.get(k) == v for k, v in wanted.items())


def seconds(value: Any) -> int | None:
    try:
        return int(str(value).strip().rstrip("s"))
    except ValueError:
        return None


# --- the rules -----------------------------------------------------------------------


def check_pod(report: Report, doc: dict, template: dict) -> None:
    where = name_of(doc)
    spec = template.get("spec") or {}
    psc = spec.get("securityContext") or {}
    containers = spec.get("containers") or []
    every = containers + (spec.get("initContainers") or [])

    def sc(c: dict) -> dict:
        return c.get("securityContext") or {}

    non_root = psc.get("runAsNonRoot") is True or (
        every and all(sc(c).get("runAsNonRoot") is True for c in every)
    )
    root_uid = psc.get("runAsUser") == 0 or any(sc(c).get("runAsUser") == 0 for c in every)
    report.check(bool(non_root) and not root_uid, "pod.non-root", where,
                 "runAsNonRoot is not true for every container, or runAsUser is 0")

    def seccomp_ok(ctx: dict) -> bool:
        return (ctx.get("seccompProfile") or {}).get("type") in ("RuntimeDefault", "Localhost")

    report.check(seccomp_ok(psc) or bool(every) and all(seccomp_ok(sc(c)) for c in every),
                 "pod.seccomp", where, "no RuntimeDefault seccomp profile")
    report.check(spec.get("automountServiceAccountToken") is False, "pod.no-token", where,
                 "automountServiceAccountToken is not false")

    for c in every:
        cw = f"{where} container {c.get('name')}"
        ctx = sc(c)
        report.check(ctx.get("allowPrivilegeEscalation") is False, "container.no-escalation",
                     cw, "allowPrivilegeEscalation is not false")
        report.check(ctx.get("privileged") is not True, "container.not-privileged", cw,
                     "privileged is true")
        report.check(ctx.get("readOnlyRootFilesystem") is True, "container.read-only-root",
                     cw, "readOnlyRootFilesystem is not true")
        caps = ctx.get("capabilities") or {}
        report.check("ALL" in (caps.get("drop") or []) and not caps.get("add"),
                     "container.drop-all", cw, f"capabilities are {caps or 'not set'}")
        mounts = {m.get("mountPath") for m in c.get("volumeMounts") or []}
        report.check("/tmp" in mounts, "container.tmp", cw, "no volume mounted at /tmp")
        res = c.get("resources") or {}
        missing = [f"{kind}.{r}" for kind in ("requests", "limits") for r in ("cpu", "memory")
                   if not (res.get(kind) or {}).get(r)]
        report.check(not missing, "container.resources", cw, f"missing {', '.join(missing)}")

    for c in containers:
        cw = f"{where} container {c.get('name')}"
        missing = [p for p in ("readinessProbe", "livenessProbe", "startupProbe") if not c.get(p)]
        report.check(not missing, "container.probes", cw, f"missing {', '.join(missing)}")

        env = env_map(c)
        if service_of(c) or "SHUTDOWN_GRACE_SECS" in env:
            shutdown = env.get("SHUTDOWN_GRACE_SECS") or {}
            secs = seconds(shutdown.get("value")) if "value" in shutdown else None
            sleep = seconds(((((c.get("lifecycle") or {}).get("preStop") or {})
                              .get("sleep") or {}).get("seconds", 0))) or 0
            grace = spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE)
            if report.check(secs is not None, "service.grace", cw,
                            "SHUTDOWN_GRACE_SECS is not set to a literal number of seconds"):
                report.check(isinstance(grace, int) and grace > sleep + secs, "service.grace", cw,
                             f"terminationGracePeriodSeconds {grace} is not more than preStop "
                             f"sleep {sleep} + SHUTDOWN_GRACE_SECS {secs}")
        for var in SECRET_ENV:
            if var in env:
                report.check("secretKeyRef" in (env[var].get("valueFrom") or {}),
                             "service.secret-env", cw, f"{var} is not read from a Secret")


def service_of(container: dict) -> str | None:
    """The service (Deployment name) whose image this container runs, if any."""
    last, _, _ = image_name(container.get("image") or "")
    return next((svc for svc, img in SERVICES.items() if img == last), None)


def check_services(report: Report, docs: list[dict]) -> None:
    deployments = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "Deployment"}
    hpa_targets = {((d.get("spec") or {}).get("scaleTargetRef") or {}).get("name")
                   for d in docs if d.get("kind") == "HorizontalPodAutoscaler"}
    for svc, image in SERVICES.items():
        dep = deployments.get(svc)
        where = f"Deployment/{svc}"
        containers = ((((dep or {}).get("spec") or {}).get("template") or {}).get("spec")
                      or {}).get("containers") or []
        if not report.check(any(service_of(c) == svc for c in containers), "service.present",
                            where, f"no Deployment {svc} running the {image} image"):
            continue
        spec = dep.get("spec") or {}
        strategy = spec.get("strategy") or {}
        if svc == SINGLETON:
            report.check(spec.get("replicas") == 1 and strategy.get("type") == "Recreate"
                         and svc not in hpa_targets, "service.singleton", where,
                         f"replicas {spec.get('replicas')}, strategy {strategy.get('type')}, "
                         f"{'an' if svc in hpa_targets else 'no'} HPA")
        else:
            rolling = strategy.get("rollingUpdate") or {}
            report.check(strategy.get("type") in (None, "RollingUpdate")
                         and rolling.get("maxUnavailable") == 0 and rolling.get("maxSurge") == 1,
                         "service.rollout", where, f"strategy is {strategy or 'the default'}")


def check_profile(report: Report, docs: list[dict]) -> None:
    by_kind: dict[str, dict[str, dict]] = {}
    for d in docs:
        by_kind.setdefault(d.get("kind"), {})[d["metadata"]["name"]] = d
    deployments = by_kind.get("Deployment", {})

    if report.profile == "dev":
        for d in docs:
            if d.get("kind") in ("Deployment", "StatefulSet"):
                report.check((d.get("spec") or {}).get("replicas") == 1, "dev.replicas",
                             name_of(d), f"replicas is {(d.get('spec') or {}).get('replicas')}")

    if report.profile != "prod":
        return
    hpas = {((h.get("spec") or {}).get("scaleTargetRef") or {}).get("name"): h
            for h in by_kind.get("HorizontalPodAutoscaler", {}).values()}
    for svc in SCALABLE:
        where = f"Deployment/{svc}"
        hpa = hpas.get(svc)
        spec = (hpa or {}).get("spec") or {}
        cpu = any(m.get("type") == "Resource" and (m.get("resource") or {}).get("name") == "cpu"
                  and ((m.get("resource") or {}).get("target") or {}).get("type") == "Utilization"
                  for m in spec.get("metrics") or [])
        want = PROD_MIN_REPLICAS[svc]
        report.check(hpa is not None and hpa.get("apiVersion") == "autoscaling/v2" and cpu
                     and (spec.get("scaleTargetRef") or {}).get("kind") == "Deployment"
                     and spec.get("minReplicas") == want
                     and spec.get("maxReplicas", 0) >= want, "prod.hpa", where,
                     f"needs an autoscaling/v2 HPA on CPU utilisation with minReplicas {want}")
        dep = deployments.get(svc)
        if dep is not None:
            report.check("replicas" not in (dep.get("spec") or {}), "prod.no-replicas", where,
                         "sets spec.replicas, which every apply would reset the HPA's count to")
        labels = (((dep or {}).get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels")
        pdbs = [p for p in by_kind.get("PodDisruptionBudget", {}).values()
                if labels_match((p.get("spec") or {}).get("selector"), labels)]
        ok = len(pdbs) == 1
        if ok:
            pspec = pdbs[0].get("spec") or {}
            min_available = pspec.get("minAvailable")
            ok = ("maxUnavailable" in pspec and pspec["maxUnavailable"] not in (0, "0%")) or (
                isinstance(min_available, int) and min_available < want)
        report.check(ok, "prod.pdb", where,
                     f"{len(pdbs)} PodDisruptionBudgets select its pods; one is wanted, "
                     "allowing at least one eviction")
    report.check(not by_kind.get("Secret"), "prod.no-secrets", "Secret/*",
                 f"renders {sorted(by_kind.get('Secret', {}))}")
    for d in docs:
        template = pod_template(d)
        for c in ((template or {}).get("spec") or {}).get("containers") or []:
            _, tag, digest = image_name(c.get("image") or "")
            report.check(bool(digest) or (tag not in (None, "latest")), "prod.pinned-images",
                         f"{name_of(d)} container {c.get('name')}", f"image {c.get('image')}")


def check_references(report: Report, docs: list[dict]) -> None:
    rendered = {kind: {d["metadata"]["name"] for d in docs if d.get("kind") == kind}
                for kind in ("Secret", "ConfigMap")}
    external = EXTERNAL_SECRETS.get(report.profile, set())
    templates = [(d, pod_template(d)) for d in docs if pod_template(d)]

    for d, template in templates:
        spec = template.get("spec") or {}
        names: list[tuple[str, str]] = []
        for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
            for e in c.get("env") or []:
                vf = e.get("valueFrom") or {}
                if "secretKeyRef" in vf:
                    names.append(("Secret", vf["secretKeyRef"].get("name")))
                if "configMapKeyRef" in vf:
                    names.append(("ConfigMap", vf["configMapKeyRef"].get("name")))
            for src in c.get("envFrom") or []:
                if "secretRef" in src:
                    names.append(("Secret", src["secretRef"].get("name")))
                if "configMapRef" in src:
                    names.append(("ConfigMap", src["configMapRef"].get("name")))
        for v in spec.get("volumes") or []:
            if "secret" in v:
                names.append(("Secret", v["secret"].get("secretName")))
            if "configMap" in v:
                names.append(("ConfigMap", v["configMap"].get("name")))
        for kind, ref in names:
            known = ref in rendered[kind] or (kind == "Secret" and ref in external)
            report.check(known, "ref.config", name_of(d), f"{kind} {ref} is not rendered")

    services = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "Service"}
    for name, svc in services.items():
        spec = svc.get("spec") or {}
        selected = [t for _, t in templates
                    if labels_match(spec.get("selector"), (t.get("metadata") or {}).get("labels"))]
        if not report.check(bool(selected), "ref.service", f"Service/{name}", "selects no pods"):
            continue
        declared = {(p.get("name"), p.get("containerPort"))
                    for t in selected for c in (t.get("spec") or {}).get("containers") or []
                    for p in c.get("ports") or []}
        for port in spec.get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            report.check(any(target in (n, number) for n, number in declared), "ref.service",
                         f"Service/{name}", f"targetPort {target} is no container port")

    for ing in (d for d in docs if d.get("kind") == "Ingress"):
        where = name_of(ing)
        spec = ing.get("spec") or {}
        report.check(bool(spec.get("ingressClassName")), "ref.ingress", where,
                     "no ingressClassName")
        for rule in spec.get("rules") or []:
            for path in (rule.get("http") or {}).get("paths") or []:
                backend = (path.get("backend") or {}).get("service") or {}
                svc = services.get(backend.get("name"))
                port = backend.get("port") or {}
                ports = (svc or {}).get("spec", {}).get("ports") or []
                ok = svc is not None and any(
                    p.get("name") == port.get("name") if "name" in port
                    else p.get("port") == port.get("number") for p in ports)
                report.check(ok, "ref.ingress", where,
                             f"{path.get('path')} -> {backend.get('name')}:{port} does not exist")


def check_ingresses(report: Report, docs: list[dict]) -> None:
    ingresses = [d for d in docs if d.get("kind") == "Ingress"]
    grpc_routes = 0
    for ing in ingresses:
        notes = (ing.get("metadata") or {}).get("annotations") or {}
        spec = ing.get("spec") or {}
        paths = [p for r in spec.get("rules") or [] for p in (r.get("http") or {}).get("paths") or []]
        backends = {((p.get("backend") or {}).get("service") or {}).get("name") for p in paths}
        for p in paths:
            if p.get("pathType") in ("Prefix", "Exact"):
                report.check(bool(STRICT_PATH.match(str(p.get("path", "")))), "ingress.path-chars",
                             name_of(ing), f"{p.get('pathType')} path {p.get('path')}")
        if any(str(p.get("path", "")).startswith(STREAMING_PATHS) for p in paths):
            for which in ("proxy-read-timeout", "proxy-send-timeout"):
                value = seconds(notes.get(ANNOTATION + which, 60))
                report.check(value is not None and value >= LONG_TIMEOUT, "ingress.streams",
                             name_of(ing), f"{which} is {notes.get(ANNOTATION + which, 'unset (60)')}")
        if str(notes.get(ANNOTATION + "backend-protocol", "")).upper() == "GRPC":
            grpc_routes += 1
            report.check(backends == {"grpc"} and bool(spec.get("tls")), "ingress.grpc",
                         name_of(ing), f"routes to {sorted(backends)}, tls {bool(spec.get('tls'))}")
    report.check(grpc_routes > 0, "ingress.grpc", "Ingress/*", "no Ingress with backend-protocol GRPC")


def run_rules(profile: str, docs: list[dict]) -> Report:
    report = Report(profile)
    for d in docs:
        template = pod_template(d)
        if template is not None:
            check_pod(report, d, template)
    check_services(report, docs)
    check_profile(report, docs)
    check_references(report, docs)
    check_ingresses(report, docs)
    return report


# --- the self-test: a good set of manifests, and one broken copy per rule ------------


def fixture() -> list[dict]:
    """A small prod-shaped set that passes every rule."""
    docs: list[dict] = []
    for svc, image in SERVICES.items():
        labels = {"app.kubernetes.io/name": image}
        port = {"name": "http", "containerPort": 8000}
        spec: dict[str, Any] = {
            "selector": {"matchLabels": dict(labels)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {"metadata": {"labels": dict(labels)}, "spec": {
                "automountServiceAccountToken": False,
                "terminationGracePeriodSeconds": 30,
                "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [{
                    "name": "service", "image": f"registry.example/{image}:1.0",
                    "ports": [port],
                    "env": [{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {
                                "name": "protocols-connections", "key": "DATABASE_URL"}}},
                            {"name": "SHUTDOWN_GRACE_SECS", "value": "20"}],
                    "lifecycle": {"preStop": {"sleep": {"seconds": 5}}},
                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                    "livenessProbe": {"httpGet": {"path": "/", "port": "http"}},
                    "startupProbe": {"httpGet": {"path": "/", "port": "http"}},
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                  "limits": {"cpu": "1", "memory": "256Mi"}},
                    "securityContext": {"allowPrivilegeEscalation": False, "privileged": False,
                                        "readOnlyRootFilesystem": True,
                                        "capabilities": {"drop": ["ALL"]}},
                    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                }],
                "volumes": [{"name": "tmp", "emptyDir": {}}],
            }},
        }
        if svc == SINGLETON:
            spec["replicas"] = 1
            spec["strategy"] = {"type": "Recreate"}
        docs.append({"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": {"name": svc}, "spec": spec})
        docs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": svc},
                     "spec": {"selector": dict(labels),
                              "ports": [{"name": "http", "port": 8000, "targetPort": "http"}]}})
        if svc in SCALABLE:
            docs.append({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                         "metadata": {"name": svc}, "spec": {
                             "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": svc},
                             "minReplicas": PROD_MIN_REPLICAS[svc], "maxReplicas": 6,
                             "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                                 "type": "Utilization", "averageUtilization": 70}}}]}})
            docs.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                         "metadata": {"name": svc},
                         "spec": {"maxUnavailable": 1, "selector": {"matchLabels": dict(labels)}}})

    def route(path: str, svc: str) -> dict:
        return {"path": path, "pathType": "Prefix",
                "backend": {"service": {"name": svc, "port": {"name": "http"}}}}

    long = {ANNOTATION + "proxy-read-timeout": "3600", ANNOTATION + "proxy-send-timeout": "3600"}
    docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                 "metadata": {"name": "streams", "annotations": dict(long)},
                 "spec": {"ingressClassName": "nginx", "rules": [{"http": {"paths": [
                     route("/api/ws", "ws"), route("/api/graphql", "graphql")]}}]}})
    docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                 "metadata": {"name": "grpc", "annotations": {
                     ANNOTATION + "backend-protocol": "GRPC", **long}},
                 "spec": {"ingressClassName": "nginx",
                          "tls": [{"hosts": ["grpc.example"], "secretName": "tls"}],
                          "rules": [{"host": "grpc.example", "http": {"paths": [route("/", "grpc")]}}]}})
    return docs


def find(docs: list[dict], kind: str, name: str) -> dict:
    return next(d for d in docs if d.get("kind") == kind and d["metadata"]["name"] == name)


def container(docs: list[dict], name: str = "rest") -> dict:
    return find(docs, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]


def pod(docs: list[dict], name: str = "rest") -> dict:
    return find(docs, "Deployment", name)["spec"]["template"]["spec"]


def set_env(c: dict, name: str, entry: dict | None) -> None:
    c["env"] = [e for e in c["env"] if e["name"] != name] + ([{"name": name, **entry}] if entry else [])


# (profile, rule that must fire, what is broken, how)
MUTATIONS: list[tuple[str, str, str, Callable[[list[dict]], None]]] = [
    ("prod", "pod.non-root", "runAsNonRoot removed",
     lambda d: pod(d)["securityContext"].pop("runAsNonRoot")),
    ("prod", "pod.non-root", "runAsUser 0",
     lambda d: pod(d)["securityContext"].update(runAsUser=0)),
    ("prod", "pod.seccomp", "seccomp Unconfined",
     lambda d: pod(d)["securityContext"].update(seccompProfile={"type": "Unconfined"})),
    ("prod", "pod.no-token", "service account token mounted",
     lambda d: pod(d).pop("automountServiceAccountToken")),
    ("prod", "container.no-escalation", "allowPrivilegeEscalation true",
     lambda d: container(d)["securityContext"].update(allowPrivilegeEscalation=True)),
    ("prod", "container.not-privileged", "privileged",
     lambda d: container(d)["securityContext"].update(privileged=True)),
    ("prod", "container.read-only-root", "writable root file system",
     lambda d: container(d)["securityContext"].pop("readOnlyRootFilesystem")),
    ("prod", "container.drop-all", "NET_ADMIN added",
     lambda d: container(d)["securityContext"]["capabilities"].update(add=["NET_ADMIN"])),
    ("prod", "container.drop-all", "nothing dropped",
     lambda d: container(d)["securityContext"].pop("capabilities")),
    ("prod", "container.tmp", "no /tmp volume",
     lambda d: container(d).pop("volumeMounts")),
    ("prod", "container.resources", "no memory limit",
     lambda d: container(d)["resources"]["limits"].pop("memory")),
    ("prod", "container.probes", "no startup probe",
     lambda d: container(d).pop("startupProbe")),
    ("prod", "container.probes", "no liveness probe",
     lambda d: container(d).pop("livenessProbe")),
    ("prod", "service.grace", "grace period 20 s for a 20 s shutdown",
     lambda d: pod(d).update(terminationGracePeriodSeconds=20)),
    ("prod", "service.grace", "grace period 25 s for 5 s preStop + 20 s shutdown",
     lambda d: pod(d).update(terminationGracePeriodSeconds=25)),
    ("prod", "service.grace", "no terminationGracePeriodSeconds (30) for a 30 s shutdown",
     lambda d: (pod(d).pop("terminationGracePeriodSeconds"),
                set_env(container(d), "SHUTDOWN_GRACE_SECS", {"value": "30"}))),
    ("prod", "service.grace", "SHUTDOWN_GRACE_SECS left to the default",
     lambda d: set_env(container(d), "SHUTDOWN_GRACE_SECS", None)),
    ("prod", "service.secret-env", "DATABASE_URL written into the manifest",
     lambda d: set_env(container(d), "DATABASE_URL", {"value": "postgres://u:p@db/x"})),
    ("prod", "service.present", "graphql missing",
     lambda d: d.remove(find(d, "Deployment", "graphql"))),
    ("prod", "service.present", "rpc running rest-svc's image",
     lambda d: container(d, "rpc").update(image="registry.example/rest-svc:1.0")),
    ("prod", "service.singleton", "two messaging replicas",
     lambda d: find(d, "Deployment", "messaging")["spec"].update(replicas=2)),
    ("prod", "service.singleton", "messaging rolling update",
     lambda d: find(d, "Deployment", "messaging")["spec"].update(strategy={"type": "RollingUpdate"})),
    ("prod", "service.rollout", "ws may drop a pod before the new one is up",
     lambda d: find(d, "Deployment", "ws")["spec"]["strategy"]["rollingUpdate"].update(maxUnavailable=1)),
    ("dev", "dev.replicas", "two rest replicas in dev",
     lambda d: find(d, "Deployment", "rest")["spec"].update(replicas=2)),
    ("prod", "prod.hpa", "no HPA for grpc",
     lambda d: d.remove(find(d, "HorizontalPodAutoscaler", "grpc"))),
    ("prod", "prod.hpa", "ws scaled from 2",
     lambda d: find(d, "HorizontalPodAutoscaler", "ws")["spec"].update(minReplicas=2)),
    ("prod", "prod.hpa", "HPA on memory",
     lambda d: find(d, "HorizontalPodAutoscaler", "rpc")["spec"]["metrics"][0]["resource"].update(name="memory")),
    ("prod", "prod.no-replicas", "replicas beside the HPA",
     lambda d: find(d, "Deployment", "rest")["spec"].update(replicas=2)),
    ("prod", "prod.pdb", "no PDB for ws",
     lambda d: d.remove(find(d, "PodDisruptionBudget", "ws"))),
    ("prod", "prod.pdb", "a PDB that blocks every eviction",
     lambda d: find(d, "PodDisruptionBudget", "rest")["spec"].update(maxUnavailable=0)),
    ("prod", "prod.no-secrets", "a Secret with values",
     lambda d: d.append({"apiVersion": "v1", "kind": "Secret",
                         "metadata": {"name": "protocols-connections"}, "stringData": {"DATABASE_URL": "x"}})),
    ("prod", "prod.pinned-images", "image without a tag",
     lambda d: container(d).update(image="registry.example/rest-svc")),
    ("prod", "prod.pinned-images", "image tagged latest",
     lambda d: container(d).update(image="registry.example/rest-svc:latest")),
    ("prod", "ref.service", "Service selecting nothing",
     lambda d: find(d, "Service", "rpc")["spec"].update(selector={"app.kubernetes.io/name": "rcp-svc"})),
    ("prod", "ref.service", "Service on a port the pod does not declare",
     lambda d: find(d, "Service", "rpc")["spec"]["ports"][0].update(targetPort="grpc")),
    ("prod", "ref.ingress", "route to a Service that is not there",
     lambda d: find(d, "Ingress", "streams")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"].update(name="websocket")),
    ("prod", "ref.ingress", "no ingressClassName",
     lambda d: find(d, "Ingress", "streams")["spec"].pop("ingressClassName")),
    ("prod", "ref.config", "a Secret nobody creates",
     lambda d: container(d)["env"][0]["valueFrom"]["secretKeyRef"].update(name="db-secret")),
    ("prod", "ref.config", "a ConfigMap volume that is not rendered",
     lambda d: pod(d)["volumes"].append({"name": "cfg", "configMap": {"name": "missing"}})),
    ("prod", "ingress.streams", "WebSocket route with the 60 s default",
     lambda d: find(d, "Ingress", "streams")["metadata"].pop("annotations")),
    ("prod", "ingress.grpc", "gRPC Ingress without backend-protocol",
     lambda d: find(d, "Ingress", "grpc")["metadata"]["annotations"].pop(ANNOTATION + "backend-protocol")),
    ("prod", "ingress.grpc", "gRPC Ingress without TLS",
     lambda d: find(d, "Ingress", "grpc")["spec"].pop("tls")),
    ("prod", "ingress.path-chars", "a gRPC-Web path as a Prefix",
     lambda d: find(d, "Ingress", "streams")["spec"]["rules"][0]["http"]["paths"].append(
         {"path": "/echo.v1.EchoService/", "pathType": "Prefix",
          "backend": {"service": {"name": "grpc", "port": {"name": "http"}}}})),
]


def self_test() -> int:
    """Every rule must pass the fixture and fail each copy broken for it."""
    good = run_rules("prod", fixture())
    problems = [f"the good fixture fails: {f}" for f in good.failures]
    # dev: no autoscalers, one replica each, and the Secret rendered (a generator's).
    dev_good = [d for d in fixture() if d.get("kind") not in ("HorizontalPodAutoscaler",)]
    for d in dev_good:
        if d.get("kind") == "Deployment":
            d["spec"]["replicas"] = 1
    dev_good.append({"apiVersion": "v1", "kind": "Secret",
                     "metadata": {"name": "protocols-connections"}, "data": {}})
    problems += [f"the good dev fixture fails: {f}" for f in run_rules("dev", dev_good).failures]

    covered = set()
    for profile, rule, what, mutate in MUTATIONS:
        docs = dev_good if profile == "dev" else fixture()
        docs = copy.deepcopy(docs)
        mutate(docs)
        report = run_rules(profile, docs)
        fired = sorted(report.fired)
        status = "caught" if rule in report.fired else "MISSED"
        print(f"  {status:6} {rule:26} {what}  (fired: {', '.join(fired) or 'nothing'})")
        if rule in report.fired:
            covered.add(rule)
        else:
            problems.append(f"{rule} did not catch: {what}")
    untested = sorted(set(RULES) - covered)
    problems += [f"no broken manifest exercises {rule}" for rule in untested]

    for p in problems:
        print(f"SELF-TEST FAIL: {p}")
    verdict = "failed" if problems else "passed"
    print(f"policy self-test {verdict}: {len(MUTATIONS)} broken manifests, "
          f"{len(covered)}/{len(RULES)} rules caught what they must; "
          f"the good fixture passes {good.checks} checks")
    return 1 if problems else 0


def load(path: str) -> list[dict]:
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    docs = [d for d in yaml.safe_load_all(text) if d]
    for d in docs:
        if not isinstance(d, dict) or "kind" not in d or "name" not in (d.get("metadata") or {}):
            raise ValueError(f"{path}: a document without kind or metadata.name")
    return docs


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=sorted(EXTERNAL_SECRETS), help="which rules apply")
    parser.add_argument("--self-test", action="store_true", help="prove every rule can fail")
    parser.add_argument("--list-rules", action="store_true")
    parser.add_argument("files", nargs="*", help="rendered manifests; - for stdin")
    args = parser.parse_args(list(argv) if argv is not None else None)

    if args.list_rules:
        for rule, text in RULES.items():
            print(f"{rule:26} {text}")
        return 0
    if args.self_test:
        return self_test()
    if not args.profile or not args.files:
        parser.error("--profile and at least one file are needed (or --self-test)")
    try:
        docs = [d for f in args.files for d in load(f)]
    except (OSError, ValueError, yaml.YAMLError) as error:
        print(f"k8s-policy: {error}", file=sys.stderr)
        return 2
    report = run_rules(args.profile, docs)
    for failure in report.failures:
        print(failure)
    kinds = Counter(d["kind"] for d in docs)
    workloads = sum(1 for d in docs if pod_template(d) is not None)
    applied = len({r for r in RULES if r.split(".")[0] not in ("dev", "prod")
                   or r.startswith(args.profile + ".")})
    print(f"policy {args.profile}: {len(docs)} documents "
          f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}); "
          f"{workloads} workloads; {applied} rules, {report.checks} checks, "
          f"{len(report.failures)} failed")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
