//! gRPC-Web on port 8080, as the Compose gateway carries it.
//!
//! A browser cannot speak native gRPC (it needs HTTP/2 trailers that `fetch` does not
//! expose), so gRPC-Web moves the status into a last, flagged frame of an ordinary
//! HTTP/1.1 answer:
//!
//! ```text
//! POST /app.Greeter/SayHello HTTP/1.1          content-type: application/grpc-web+proto
//! 00 00 00 00 07  0a 05 'w' 'o' 'r' 'l' 'd'     one data frame: flag 0, length 7, message
//!
//! HTTP/1.1 200 OK                               content-type: application/grpc-web+proto
//! 00 00 00 00 0e  0a 0c "Hello, world!"         a data frame, then the trailers frame:
//! 80 00 00 00 0f  "grpc-status:0\r\n"           flag 0x80, the trailers as header lines
//! ```
//!
//! The gRPC server already answers gRPC-Web (tonic-web), so this module only forwards:
//! requests to a gRPC service's path go, body and headers unchanged, to the process's
//! own gRPC server, and its answer streams back as it comes (a server-streaming call
//! stays open). This is what nginx's `location` for these paths does in the gateway.

use std::net::SocketAddr;

use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};

/// The gRPC services' paths, `/{package.Service}/{Method}`, as the gateway routes them.
const PATHS: &str = r"/{service:app\.Greeter|echo\.v1\.EchoService|dummy\.v1\.DummyService|playground\.v1\.PlaygroundService|grpc\.health\.v1\.Health}/{method}";

/// Where the gRPC server of this process listens.
#[derive(Debug, Clone, Copy)]
struct Upstream(SocketAddr);

/// Mounts the forwarding of gRPC-Web calls (and their CORS preflights) to `upstream`.
pub fn configure(upstream: SocketAddr) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |cfg: &mut web::ServiceConfig| {
        // A server-streaming call may stay open for as long as the page watches.
        let client = awc::Client::builder().disable_timeout().finish();
        cfg.app_data(web::Data::new(client))
            .app_data(web::Data::new(Upstream(upstream)))
            .service(
                web::resource(PATHS)
                    .route(web::post().to(forward))
                    .route(web::method(Method::OPTIONS).to(forward)),
            );
    }
}

/// Sends the call to the gRPC server and streams its answer back.
async fn forward(
    req: HttpRequest,
    body: web::Payload,
    client: web::Data<awc::Client>,
    upstream: web::Data<Upstream>,
) -> HttpResponse {
    let url = format!("http://{}{}", upstream.0, req.uri());
    let sent = client
        .request_from(url, req.head())
        .no_decompress()
        .send_stream(body)
        .await;
    match sent {
        Ok(answer) => {
            let mut response = HttpResponse::build(answer.status());
            for (name, value) in answer.headers() {
                // The framing of the hop from the gRPC server is not this hop's.
                if ![
                    header::CONNECTION,
                    header::CONTENT_LENGTH,
                    header::TRANSFER_ENCODING,
                ]
                .contains(name)
                {
                    response.append_header((name.clone(), value.clone()));
                }
            }
            response.streaming(answer)
        }
        Err(error) => HttpResponse::BadGateway()
            .content_type("text/plain; charset=utf-8")
            .body(format!(
                "the gRPC server of this process is unreachable: {error}\n"
            )),
    }
}
