//! `app.Greeter`: the quickstart's two unary RPCs.
//!
//! ```text
//! POST /app.Greeter/SayHello HTTP/2
//! content-type: application/grpc
//! te: trailers
//!
//! 00 00 00 00 08  0a 06 4c 75 6b 61 73 7a        <- flag 0, length 8; field 1 (0x0a), 6 bytes "Lukasz"
//!
//! :status 200, content-type: application/grpc
//! 00 00 00 00 10  0a 0e 48 65 6c 6c 6f 2c 20 4c 75 6b 61 73 7a 21   <- "Hello, Lukasz!"
//! grpc-status: 0                                 <- trailers
//! ```

use tonic::{Request, Response, Status};

use crate::pb::app::greeter_server::Greeter;
use crate::pb::app::{HelloRequest, HelloResponse};

/// The Greeter service; it needs no state.
#[derive(Debug, Default, Clone)]
pub struct GreeterService;

#[tonic::async_trait]
impl Greeter for GreeterService {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloResponse>, Status> {
        let name = request.into_inner().name;
        Ok(Response::new(HelloResponse {
            message: format!("Hello, {name}!"),
        }))
    }

    async fn say_hello_again(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloResponse>, Status> {
        let name = request.into_inner().name;
        Ok(Response::new(HelloResponse {
            message: format!("Hello again, {name}!"),
        }))
    }
}
