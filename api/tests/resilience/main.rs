//! Resilience: the real `upr-tc` binary, on a database of its own, against callers that read
//! slowly, upload slowly, crash, lose their database connection, send a header of millions of
//! columns (its memory measured) or page ranked searches as deep as they go. Each test is bounded in
//! time; outcomes are asserted, never speeds ("answered within a few seconds" is a liveness
//! check, not a benchmark).

mod support;

mod callers;
mod hostile;
mod operations;
mod slow;
