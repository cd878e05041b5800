//! Black-box tests of the service, run in-process against SQLite, or against PostgreSQL when
//! `TEST_DATABASE_URL` is set.

mod activities;
mod assistance_requests;
mod audit;
mod auth;
mod bulk;
mod compaction;
mod compatibility;
mod compression;
mod consents;
mod contract;
mod conventions;
mod coordination;
mod errors;
mod export;
mod gate;
mod health;
mod hostile;
mod iati;
mod interests;
mod layers;
mod matching;
mod metrics;
mod offers;
mod permissions;
mod publication;
mod recommendations;
mod reference;
mod reports;
mod repository;
mod retries;
mod schema;
mod search;
mod stakeholders;
mod sync;
mod upgrade;
