//! Compiles the protos in `../../proto` into Rust, with no `protoc` on the machine:
//! `protox` parses them in pure Rust (it bundles the google/protobuf well-known types),
//! tonic's code generator writes the client and server code, and the encoded
//! descriptor set is saved for server reflection.

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = "../../proto";
    let files = [
        "greeter.proto",
        "echo/v1/echo.proto",
        "dummy/v1/dummy.proto",
        "playground/v1/playground.proto",
    ];
    let descriptors = protox::compile(files, [proto_root])?;
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    // tonic's `file_descriptor_set_path` only works with protoc: write the bytes ourselves.
    std::fs::write(
        out_dir.join("protocols_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(descriptors)?;
    println!("cargo:rerun-if-changed={proto_root}");
    Ok(())
}
