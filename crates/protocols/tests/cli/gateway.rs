//! The whole stack without Docker: every service binary as its own process (two
//! ws-svc replicas), one PostgreSQL, and the real nginx with the gateway template
//! rendered for 127.0.0.1 upstreams. Then, through the gateway only: the README's
//! curls, JSON-RPC and XML-RPC, native gRPC through `grpc_pass`, gRPC-Web, a chat
//! between two clients that land on different ws-svc replicas, and the pages in Chromium.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use test_support::brokers::{Mosquitto, Vhost};
use test_support::process::Process;
use test_support::{Backend, TestDb};

use crate::checks::{check_gateway, check_playground, check_walkthrough, check_webhooks};
use crate::helpers::{free_port, seed, service};

/// Processes that are stopped when the test ends, however it ends.
type Processes = Vec<Process>;

fn start(processes: &mut Processes, binary: &str, args: &[String], database: &str) {
    let mut command = service(binary);
    command
        .args(args)
        .env("DATABASE_URL", database)
        .env("SHUTDOWN_GRACE_SECS", "1")
        .stdout(Stdio::null());
    let process =
        Process::start(binary, &mut command).unwrap_or_else(|e| panic!("start {binary}: {e}"));
    processes.push(process);
}

/// Waits until the process listens on the port of 127.0.0.1.
fn listening(process: &mut Process, port: u16) {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    if let Err(error) = process.wait_listening_blocking(addr, Duration::from_secs(10)) {
        panic!("{error}");
    }
}

/// Replaces every `${NAME}` of the template, as the nginx image's envsubst does.
fn render(template: &str, vars: &[(&str, String)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in vars {
        out = out.replace(&format!("${{{name}}}"), value);
    }
    assert!(!out.contains("${"), "a template variable was left unset");
    out
}

fn start_nginx(processes: &mut Processes, dir: &Path, gateway_conf: &str) {
    std::fs::write(dir.join("gateway.conf"), gateway_conf).unwrap();
    for temp in ["body", "proxy", "fastcgi", "uwsgi", "scgi"] {
        std::fs::create_dir_all(dir.join(temp)).unwrap();
    }
    let d = dir.display();
    let main = format!(
        "daemon off;\nuser root;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n  include /etc/nginx/mime.types;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
         \x20 fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
         \x20 include {d}/gateway.conf;\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    let check = Command::new("nginx")
        .args(["-t", "-p"])
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .output()
        .expect("run nginx -t");
    assert!(
        check.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let mut nginx = Command::new("nginx");
    nginx
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .stdout(Stdio::null());
    processes.push(Process::start("nginx", &mut nginx).expect("start nginx"));
}

fn the_gateway_serves_every_protocol_from_one_address() {
    let why = "the full-stack gateway test";
    test_support::require_tool("nginx", "-v", why);
    test_support::require_tool("curl", "--version", why);
    test_support::browser::require(why);
    let db = TestDb::new(Backend::Postgres);
    let url = db.url.expose().to_owned();
    seed(&db.url, 10); // also applies the migrations before the services race to

    // The brokers messaging-svc publishes to: a vhost of its own on the machine's
    // RabbitMQ, and a Mosquitto of its own whose WebSocket listener the gateway serves.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (vhost, mosquitto) =
        runtime.block_on(async { (Vhost::new().await, Mosquitto::start().await) });

    let mut processes = Processes::default();
    let [
        rest,
        rpc,
        grpc,
        ws_a,
        ws_b,
        graphql,
        messaging,
        gateway,
        gateway_grpc,
    ] = [(); 9].map(|()| free_port());
    let addr = |port: u16| format!("127.0.0.1:{port}");
    for (binary, flag, port) in [
        ("rest-svc", "--rest-addr", rest),
        ("rpc-svc", "--rpc-addr", rpc),
        ("grpc-svc", "--grpc-addr", grpc),
        ("ws-svc", "--ws-addr", ws_a),
        ("ws-svc", "--ws-addr", ws_b),
        ("graphql-svc", "--graphql-addr", graphql),
    ] {
        start(&mut processes, binary, &[flag.into(), addr(port)], &url);
    }
    let brokers = [
        "--messaging-addr".into(),
        addr(messaging),
        "--amqp-url".into(),
        vhost.url(),
        "--mqtt-addr".into(),
        mosquitto.addr(),
    ];
    start(&mut processes, "messaging-svc", &brokers, &url);
    for (process, port) in processes
        .iter_mut()
        .zip([rest, rpc, grpc, ws_a, ws_b, graphql, messaging])
    {
        listening(process, port);
    }

    let dir = tempfile::tempdir().unwrap();
    let web_root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../web")
        .canonicalize()
        .unwrap();
    let template = include_str!("../../../../deploy/nginx/templates/gateway.conf.template");
    let conf = render(
        template,
        &[
            ("REST_UPSTREAM", addr(rest)),
            ("RPC_UPSTREAM", addr(rpc)),
            // Two replicas: in Compose, Docker's DNS gives nginx both; here, a group of
            // two servers, defined below, that the template's `$ws` names.
            ("WS_UPSTREAM", "ws_replicas".to_owned()),
            ("GRPC_UPSTREAM", addr(grpc)),
            ("GRAPHQL_UPSTREAM", addr(graphql)),
            ("MESSAGING_UPSTREAM", addr(messaging)),
            ("MQTT_WS_UPSTREAM", addr(mosquitto.ws_port())),
            ("WEB_ROOT", web_root.display().to_string()),
            ("GATEWAY_PORT", addr(gateway)),
            ("GATEWAY_GRPC_PORT", addr(gateway_grpc)),
            // Every other upstream is an IP address, which needs no lookup.
            ("GATEWAY_RESOLVER", "127.0.0.1".to_owned()),
        ],
    );
    let conf = format!(
        "upstream ws_replicas {{ server {}; server {}; }}\n{conf}",
        addr(ws_a),
        addr(ws_b)
    );
    start_nginx(&mut processes, dir.path(), &conf);
    let nginx = processes.last_mut().expect("nginx was started");
    listening(nginx, gateway);
    listening(nginx, gateway_grpc);
    let through = addr(gateway);

    // REST: the README's curls, unchanged but for the address.
    check_walkthrough(&through);

    runtime.block_on(check_gateway(&through, &addr(gateway_grpc)));
    runtime.block_on(check_playground(&through));
    runtime.block_on(check_webhooks(
        &through,
        &format!("http://{through}/api/webhooks/echo"),
    ));

    // Pages, in a real browser, through the gateway.
    let base = format!("http://{through}");
    runtime.block_on(async {
        test_support::pages::check_rpc_page(&base).await;
        test_support::pages::check_ws_pages(&base).await;
        // gRPC-Web through the gateway is same-origin: the page's server is the gateway.
        test_support::pages::check_grpc_page(&base, &base).await;
        test_support::pages::check_graphql_page(&base).await;
        test_support::pages::check_http_playground_page(&base).await;
        // MQTT over WebSocket through the gateway's /mqtt, for a change made over REST
        // through the gateway: rest-svc's write, PostgreSQL's NOTIFY, messaging-svc's
        // relay, Mosquitto, nginx, the page.
        let rest = clients::Client::new(clients::Proto::Rest, through.parse().unwrap());
        test_support::pages::check_messaging_page(&base, None, async || {
            let fields = clients::Fields {
                day: 4,
                weekday: 4,
                month: 4,
                year: 2004,
            };
            rest.create(fields)
                .await
                .expect("a Dummy created over REST")
                .0
        })
        .await;
    });
    drop(processes);
    drop((vhost, mosquitto));
}

test_support::tests! {
    sync: the_gateway_serves_every_protocol_from_one_address;
}
