//! The quickstart's client: SayHello and SayHelloAgain.
//!
//! ```text
//! cargo run -p protocols -- serve                       # in one terminal
//! cargo run -p grpc-svc --example greeter_client        # in another
//! cargo run -p grpc-svc --example greeter_client -- http://localhost:50051 Lukasz
//! ```

use grpc_pb::app::HelloRequest;
use grpc_pb::app::greeter_client::GreeterClient;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let target = args
        .next()
        .unwrap_or_else(|| "http://localhost:50051".to_owned());
    let name = args.next().unwrap_or_else(|| "Lukasz".to_owned());
    let mut client = GreeterClient::connect(target).await?;
    let hello = client
        .say_hello(HelloRequest { name: name.clone() })
        .await?;
    println!("Greeter client received: {}", hello.into_inner().message);
    let again = client.say_hello_again(HelloRequest { name }).await?;
    println!("Greeter client received: {}", again.into_inner().message);
    Ok(())
}
