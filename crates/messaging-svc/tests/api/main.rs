//! Black-box tests of messaging-svc: the real service against real brokers (a vhost of
//! its own on the machine's RabbitMQ, a Mosquitto of its own, RabbitMQ nodes of their
//! own for restarts), read by lapin, rumqttc, and Python's pika and paho-mqtt.

mod helpers;

mod amqp;
mod browser;
mod mqtt;
mod patterns;
mod python;
mod relay;
mod restart;
mod rpc;

fn main() {
    test_support::harness::main([
        amqp::trials(),
        browser::trials(),
        mqtt::trials(),
        patterns::trials(),
        python::trials(),
        relay::trials(),
        restart::trials(),
        rpc::trials(),
    ])
}
