//! The UPR technical-cooperation repository: a JSON REST API over SQLite or PostgreSQL.

pub mod app;
pub mod auth;
pub mod compression;
pub mod config;
pub mod cursor;
pub mod db;
pub mod deadline;
pub mod digest;
pub mod domain;
pub mod error;
pub mod head;
pub mod http;
pub mod iati;
pub mod idempotency;
pub mod import;
pub mod metrics;
pub mod openapi;
pub mod otlp;
pub mod pieces;
pub mod ratelimit;
pub mod reference;
pub mod report_page;
pub mod routes;
pub mod seed;
pub mod startup;
pub mod telemetry;
