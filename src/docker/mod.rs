//! Talking to engines and docker clients: probes, the context store,
//! child processes, ssh bridges.

pub(crate) mod children;
pub(crate) mod client_version;
pub(crate) mod container_json;
pub(crate) mod context_store;
pub(crate) mod host_cap;
pub(crate) mod pending;
pub(crate) mod pool;
pub(crate) mod probe;
pub(crate) mod ssh_bridge;
pub(crate) mod ssh_path;
