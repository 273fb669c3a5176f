//! The whole stack without Docker: every service binary as its own process (two
//! ws-svc replicas), one PostgreSQL, and the real nginx with the gateway template
//! rendered for 127.0.0.1 upstreams. Then, through the gateway only: the README's
//! curls, JSON-RPC and XML-RPC, native gRPC through `grpc_pass`, gRPC-Web, a chat
//! between two clients that land on different ws-svc replicas, and the pages in Chromium.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use test_support::{Backend, TestDb};

use crate::checks::{check_gateway, check_walkthrough};
use crate::helpers::{free_port, seed, service};

/// Processes that are killed when the test ends, however it ends.
#[derive(Default)]
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            // SIGTERM, so nginx's master takes its workers along (SIGKILL would orphan them).
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            for _ in 0..50 {
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn start(processes: &mut Processes, binary: &str, args: &[String], database: &str) {
    let child = service(binary)
        .args(args)
        .env("DATABASE_URL", database)
        .env("RUST_LOG", "warn")
        .env("SHUTDOWN_GRACE_SECS", "1")
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {binary}: {e}"));
    processes.0.push(child);
}

/// Waits until something answers on the port.
fn wait_for_port(port: u16) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on port {port} after 10 s");
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
    let child = Command::new("nginx")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .stdout(Stdio::null())
        .spawn()
        .expect("start nginx");
    processes.0.push(child);
}

fn the_gateway_serves_every_protocol_from_one_address() {
    let why = "the full-stack gateway test";
    test_support::require_tool("nginx", "-v", why);
    test_support::require_tool("curl", "--version", why);
    test_support::browser::require(why);
    let db = TestDb::new(Backend::Postgres);
    let url = db.url.expose().to_owned();
    seed(&db.url, 10); // also applies the migrations before the services race to

    let mut processes = Processes::default();
    let [rest, rpc, grpc, ws_a, ws_b, gateway, gateway_grpc] = [(); 7].map(|()| free_port());
    let addr = |port: u16| format!("127.0.0.1:{port}");
    start(
        &mut processes,
        "rest-svc",
        &["--addr".into(), addr(rest)],
        &url,
    );
    start(
        &mut processes,
        "rpc-svc",
        &["--addr".into(), addr(rpc)],
        &url,
    );
    start(
        &mut processes,
        "grpc-svc",
        &["--grpc-addr".into(), addr(grpc)],
        &url,
    );
    start(
        &mut processes,
        "ws-svc",
        &["--addr".into(), addr(ws_a)],
        &url,
    );
    start(
        &mut processes,
        "ws-svc",
        &["--addr".into(), addr(ws_b)],
        &url,
    );
    for port in [rest, rpc, grpc, ws_a, ws_b] {
        wait_for_port(port);
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
            // Two replicas: in Compose, Docker's DNS gives nginx both; here, two server lines.
            (
                "WS_UPSTREAM",
                format!("{}; server {}", addr(ws_a), addr(ws_b)),
            ),
            ("GRPC_UPSTREAM", addr(grpc)),
            ("WEB_ROOT", web_root.display().to_string()),
            ("GATEWAY_PORT", addr(gateway)),
            ("GATEWAY_GRPC_PORT", addr(gateway_grpc)),
        ],
    );
    start_nginx(&mut processes, dir.path(), &conf);
    wait_for_port(gateway);
    wait_for_port(gateway_grpc);
    let through = addr(gateway);

    // REST: the README's curls, unchanged but for the address.
    check_walkthrough(&through);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(check_gateway(&through, &addr(gateway_grpc)));

    // Pages, in a real browser, through the gateway.
    let base = format!("http://{through}");
    runtime.block_on(async {
        test_support::pages::check_rpc_page(&base).await;
        test_support::pages::check_ws_pages(&base).await;
        // gRPC-Web through the gateway is same-origin: the page's server is the gateway.
        test_support::pages::check_grpc_page(&base, &base).await;
    });
    drop(processes);
}

test_support::tests! {
    sync: the_gateway_serves_every_protocol_from_one_address;
}
