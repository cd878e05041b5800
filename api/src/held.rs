//! Reads held while a test asks (built with the `failpoints` feature only).

/// Holds a read of `what` while a test asks: the fail point `read::hold` set to
/// `return(WORD)` holds each read whose `what` contains WORD until it is set otherwise, so that
/// a test sees what a running read holds (its permits after its client has hung up, the
/// report's facts while another caller asks). Reads of other words run on.
pub fn by_test(what: &str) {
    let held = || {
        fail::fail_point!("read::hold", |word: Option<String>| {
            word.is_some_and(|w| what.contains(&w))
        });
        false
    };
    while held() {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
