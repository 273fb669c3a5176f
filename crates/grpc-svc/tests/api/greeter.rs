//! The quickstart Greeter answers as the quickstart's server does.

use grpc_pb::app::HelloRequest;

use crate::helpers::TestApp;

async fn say_hello_and_say_hello_again_greet_by_name() {
    let app = TestApp::sqlite().await;
    let mut greeter = app.greeter();
    let hello = greeter
        .say_hello(HelloRequest {
            name: "Lukasz".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(hello.message, "Hello, Lukasz!");
    let again = greeter
        .say_hello_again(HelloRequest {
            name: "Lukasz".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.message, "Hello again, Lukasz!");
}

test_support::tests! {
    tokio: say_hello_and_say_hello_again_greet_by_name;
}
