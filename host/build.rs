//! Builds the first-party plugins (`plugins/*`) for `wasm32-wasip2` and embeds
//! them in the binary, so `portcullis serve` works with no extra step.
//!
//! The plugins are built by a nested cargo into `target/bundled-plugins`, a
//! target directory of their own, so it never waits on the outer build's lock.
//!
//! It also packs the binary's relative relocations where the C library can
//! read them (`pack_relative_relocs`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// (crate, default grants, opt-in) of every bundled plugin. An opt-in
/// plugin loads only when the operator grants it something (see
/// `BundledPlugin::opt_in`).
const BUNDLED: &[(&str, &[&str], bool)] = &[
    ("apk", &[], false),
    ("apt", &[], false),
    ("docker", &[], true),
    ("node", &[], false),
    ("paths", &[], false),
    ("python", &[], false),
    ("sandbox", &["Docker", "InstallNetwork"], false),
    ("tool-rules", &[], false),
];

const TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "plugin";

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest.parent().unwrap().to_path_buf();
    println!("cargo:rerun-if-changed={}", workspace.join("plugins").display());
    println!("cargo:rerun-if-changed={}", workspace.join("wit").display());
    pack_relative_relocs();

    // `PORTCULLIS_NO_BUNDLE=1` builds a host without bundled plugins (faster
    // host-only iteration; `portcullis serve` then needs `--plugins`).
    println!("cargo:rerun-if-env-changed=PORTCULLIS_NO_BUNDLE");
    let bundle = std::env::var_os("PORTCULLIS_NO_BUNDLE").is_none();
    let present: Vec<_> = BUNDLED.iter().filter(|_| bundle).collect();
    let target_dir = workspace.join("target").join("bundled-plugins");
    if !present.is_empty() {
        build(&workspace, &target_dir, present.iter().map(|(n, _, _)| *n));
    }

    let mut out = String::from("/// The plugins built into this binary.\npub static BUNDLED: &[BundledPlugin] = &[\n");
    for (name, grants, opt_in) in present {
        // Cargo names a library's artifact after the crate, with `-` as `_`.
        let wasm = target_dir.join(TARGET).join(PROFILE).join(format!("{}.wasm", name.replace('-', "_")));
        let grants: Vec<String> = grants.iter().map(|g| format!("Grant::{g}")).collect();
        out.push_str(&format!(
            "    BundledPlugin {{ name: {name:?}, wasm: include_bytes!({:?}), sha256: {:?}, default_grants: &[{}], opt_in: {opt_in} }},\n",
            wasm.display().to_string(),
            sha256_of(&wasm),
            grants.join(", ")
        ));
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(out_dir.join("bundled.rs"), out).unwrap();
}

/// Links the binaries with packed relative relocations (DT_RELR): the
/// dynamic loader then reads a few kilobytes at every start instead of the
/// 1.6 MB of `.rela.dyn` (67,000 entries), which stayed resident. Only a
/// native build against glibc 2.36 or later (which the binary then needs)
/// gets them; musl, cross and older-glibc builds link as before.
fn pack_relative_relocs() {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "linux" || var("CARGO_CFG_TARGET_ENV") != "gnu" || var("TARGET") != var("HOST") {
        return;
    }
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else { return };
    // "glibc 2.36"
    let version = String::from_utf8_lossy(&out.stdout);
    let mut numbers = version.trim().trim_start_matches("glibc ").split('.').map(|n| n.parse::<u32>().unwrap_or(0));
    let (major, minor) = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
    if (major, minor) >= (2, 36) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// The SHA-256 of `file`, so that a warm start need not read (and page in)
/// the embedded bytes to find their compiled form in the cache.
fn sha256_of(file: &Path) -> [u8; 32] {
    use sha2::Digest;
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
    sha2::Sha256::digest(bytes).into()
}

fn build<'a>(workspace: &Path, target_dir: &Path, crates: impl Iterator<Item = &'a str>) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--target", TARGET, "--profile", PROFILE])
        .arg("--target-dir")
        .arg(target_dir);
    for name in crates {
        cmd.args(["-p", name]);
    }
    // The outer build's settings are for the host target, not for wasm.
    for var in
        ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_TARGET_DIR", "CARGO_BUILD_TARGET", "RUSTC_WORKSPACE_WRAPPER"]
    {
        cmd.env_remove(var);
    }
    let status = cmd.status().expect("running cargo to build the bundled plugins");
    if !status.success() {
        panic!(
            "building the bundled plugins for {TARGET} failed; if the target is missing, run `rustup target add {TARGET}` (scripts/setup.sh does)"
        );
    }
}
