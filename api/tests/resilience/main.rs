//! Resilience: the real `upr-tc` binary, on a database of its own, against callers that read
//! slowly, upload slowly, crash, or lose their database connection. Each test is bounded in
//! time; outcomes are asserted, never speeds ("answered within a few seconds" is a liveness
//! check, not a benchmark).

mod support;

mod slow;
