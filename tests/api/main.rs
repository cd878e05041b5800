//! Black-box tests of the service, run in-process against SQLite, or against PostgreSQL when
//! `TEST_DATABASE_URL` is set.

mod audit;
mod auth;
mod bulk;
mod contract;
mod errors;
mod export;
mod health;
mod recommendations;
mod reference;
mod stakeholders;
