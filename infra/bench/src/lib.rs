//! The benchmark's parts, as a library: the stand-ins' fixture, the SDK call
//! recorder and every function's prepared case are also what the permission
//! test (`tests/tests/all/permissions.rs`) runs each function's policy against.

pub mod cold;
pub mod cost;
pub mod env;
pub mod events;
pub mod faults;
pub mod fixture;
pub mod journey;
pub mod keyload;
pub mod local;
pub mod measure;
pub mod pricing;
pub mod recorder;
pub mod scale;
pub mod size;
pub mod soak;
pub mod stats;
