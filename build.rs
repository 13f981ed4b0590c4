//! Release builds for Linux with glibc link with scripts/engine-path.ld,
//! which puts the functions the engine path runs side by side at the front
//! of the code: a `NAME-docker` run then touches a few pages of the binary,
//! not pages all over it (bench/layout writes the script and says why).

fn main() {
    let script = "scripts/engine-path.ld";
    println!("cargo::rerun-if-changed={script}");
    let target = std::env::var("TARGET").unwrap_or_default();
    let profile = std::env::var("PROFILE").unwrap_or_default();
    if target.ends_with("-linux-gnu") && profile == "release" {
        let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
        println!("cargo::rustc-link-arg-bins=-Wl,-T,{dir}/{script}");
    }
}
