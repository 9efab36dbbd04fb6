//! HTTP for Balcão: the same `lambda_http` handlers serve API Gateway and the
//! local runtime. Every route answers HTML to browsers and JSON on
//! `Accept: application/json`; errors map to HTTP in [`respond`] only.

pub mod forms;
pub mod ops;
pub mod pages;
pub mod respond;
pub mod routes;
pub mod security;
pub mod staff;
pub mod views;

pub use routes::{Op, ROUTES, Route};

pub type Response = http::Response<lambda_http::Body>;
