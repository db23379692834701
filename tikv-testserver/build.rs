//! Generates the PD and TiKV gRPC server traits from the `.proto` files that ship
//! inside the `tikv-client` package cargo already downloaded (they are not copied
//! into this repository). Only the RPCs `tikv-client` calls are kept, so the test
//! server implements exactly the protocol subset the real client uses.

use std::path::PathBuf;
use std::process::Command;

/// RPCs kept per service; every other RPC of the `.proto` files is dropped.
const KEEP: &[(&str, &[&str])] = &[
    (
        "PD",
        &[
            "GetMembers",
            "Tso",
            "GetRegion",
            "GetRegionByID",
            "GetStore",
            "GetAllStores",
            "UpdateGCSafePoint",
        ],
    ),
    (
        "Tikv",
        &[
            "KvGet",
            "KvScan",
            "KvPrewrite",
            "KvCommit",
            "KvBatchGet",
            "KvBatchRollback",
            "KvCleanup",
            "KvResolveLock",
            "KvTxnHeartBeat",
            "KvCheckTxnStatus",
            "KvCheckSecondaryLocks",
            "KvScanLock",
        ],
    ),
];

/// Wraps tonic's generator and filters each service down to [`KEEP`].
struct Subset(Box<dyn prost_build::ServiceGenerator>);

impl prost_build::ServiceGenerator for Subset {
    fn generate(&mut self, mut service: prost_build::Service, buf: &mut String) {
        let Some((_, keep)) = KEEP.iter().find(|(name, _)| *name == service.proto_name) else {
            return;
        };
        service
            .methods
            .retain(|m| keep.contains(&m.proto_name.as_str()));
        self.0.generate(service, buf);
    }

    fn finalize(&mut self, buf: &mut String) {
        self.0.finalize(buf);
    }

    fn finalize_package(&mut self, package: &str, buf: &mut String) {
        self.0.finalize_package(package, buf);
    }
}

/// The `proto/` folder of the tikv-client package in cargo's registry.
fn tikv_client_protos() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    // Only the host's packages: the rest (wasm, Windows) were never downloaded.
    let target = std::env::var("TARGET").expect("TARGET");
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &target, "--manifest-path"])
        .arg(manifest.join("../Cargo.toml"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata json");
    let packages = meta["packages"].as_array().expect("packages");
    let pkg = packages
        .iter()
        .find(|p| p["name"] == "tikv-client")
        .expect("tikv-client is a dependency of the workspace");
    let manifest_path = PathBuf::from(pkg["manifest_path"].as_str().expect("manifest_path"));
    manifest_path
        .parent()
        .expect("package folder")
        .join("proto")
}

fn main() {
    let protos = tikv_client_protos();
    let protoc = protoc_bin_vendored::protoc_bin_path().expect("vendored protoc");
    // SAFETY: build scripts are single-threaded; prost-build reads PROTOC.
    unsafe { std::env::set_var("PROTOC", protoc) };
    let tonic = tonic_build::configure()
        .build_client(false)
        .build_server(true)
        .service_generator();
    let mut config = prost_build::Config::new();
    config.service_generator(Box::new(Subset(tonic)));
    config
        .compile_protos(
            &[protos.join("pdpb.proto"), protos.join("tikvpb.proto")],
            &[protos.clone(), protos.join("include")],
        )
        .expect("compile PD and TiKV protos");
    println!("cargo:rerun-if-changed=build.rs");
}
