//! The served contract keeps the promises of the released one (`openapi/released.json`,
//! docs/compatibility.md), and the check finds each kind of break it is there to find.

use serde_json::{Value, json};
use upr_tc_tests::compatibility::breaks;

fn released() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/released.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The served contract, rendered once for all the tests here.
fn current() -> Value {
    static RENDERED: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    RENDERED
        .get_or_init(|| serde_json::from_str(&upr_tc::openapi::render()).unwrap())
        .clone()
}

#[test]
fn the_served_contract_keeps_the_released_ones_promises() {
    let found = breaks(&released(), &current());
    assert!(
        found.is_empty(),
        "the served contract breaks what openapi/released.json promised partners; make the \
         change one that adds, or release a new version (docs/compatibility.md):\n{}",
        found.join("\n")
    );
}

/// The breaks found when `change` is made to the current contract.
fn breaks_of(change: impl FnOnce(&mut Value)) -> Vec<String> {
    let before = current();
    let mut after = before.clone();
    change(&mut after);
    assert_ne!(before, after, "the change changed nothing");
    breaks(&before, &after)
}

fn schema<'a>(doc: &'a mut Value, name: &str) -> &'a mut Value {
    &mut doc["components"]["schemas"][name]
}

fn found(breaks: &[String], words: &[&str]) -> bool {
    breaks.iter().any(|b| words.iter().all(|w| b.contains(w)))
}

#[test]
fn the_same_contract_breaks_nothing() {
    assert_eq!(breaks(&current(), &current()), Vec::<String>::new());
}

#[test]
fn what_a_client_reads_may_not_change_under_it() {
    // A value of a closed list that a client generated from the contract does not know.
    let b = breaks_of(|c| {
        schema(c, "ActivityStatus")["enum"]
            .as_array_mut()
            .unwrap()
            .push(json!("on_hold"));
    });
    assert!(found(&b, &["ActivityStatus", "on_hold"]), "{b:?}");

    // A field taken out of an answer, or no longer always sent.
    let b = breaks_of(|c| {
        schema(c, "Activity")["properties"]
            .as_object_mut()
            .unwrap()
            .remove("results");
    });
    assert!(found(&b, &["Activity.results", "no longer sent"]), "{b:?}");
    let b = breaks_of(|c| {
        let required = schema(c, "Activity")["required"].as_array_mut().unwrap();
        required.retain(|f| f != "version");
    });
    assert!(
        found(&b, &["Activity.version", "no longer always sent"]),
        "{b:?}"
    );

    // A field that may now be null, or of another type.
    let b = breaks_of(|c| {
        schema(c, "Activity")["properties"]["version"]["type"] = json!(["integer", "null"])
    });
    assert!(found(&b, &["Activity.version", "may now be null"]), "{b:?}");
    let b = breaks_of(|c| schema(c, "Activity")["properties"]["title"] = json!({"type": "string"}));
    assert!(found(&b, &["Activity.title", "may now be string"]), "{b:?}");

    // An answer no longer given, or no longer in a format asked for.
    let b = breaks_of(|c| {
        c["paths"]["/api/v1/activities"]["post"]["responses"]
            .as_object_mut()
            .unwrap()
            .remove("201");
    });
    assert!(
        found(&b, &["POST /api/v1/activities", "no longer answers 201"]),
        "{b:?}"
    );

    // A header an answer no longer sends, and an answer of the contract's components changed.
    let b = breaks_of(|c| {
        c["paths"]["/api/v1/activities"]["get"]["responses"]["200"]["headers"]
            .as_object_mut()
            .unwrap()
            .remove("ETag");
    });
    assert!(
        found(
            &b,
            &["GET /api/v1/activities", "200", "no longer sends ETag"]
        ),
        "{b:?}"
    );
    let b = breaks_of(|c| {
        c["components"]["responses"]["BadRequest"]["content"]["application/problem+json"]["schema"] =
            json!({"type": "string"});
    });
    assert!(found(&b, &["problem+json", "may now be string"]), "{b:?}");
}

#[test]
fn what_a_client_sends_must_still_be_taken() {
    // A new required field, or one no longer taken.
    let b = breaks_of(|c| {
        let input = schema(c, "ActivityInput");
        input["properties"]["priority"] = json!({"type": "integer"});
        input["required"]
            .as_array_mut()
            .unwrap()
            .push(json!("priority"));
    });
    assert!(
        found(&b, &["ActivityInput.priority", "now required"]),
        "{b:?}"
    );
    let b = breaks_of(|c| {
        schema(c, "ActivityInput")["properties"]
            .as_object_mut()
            .unwrap()
            .remove("results");
    });
    assert!(
        found(&b, &["ActivityInput.results", "no longer taken"]),
        "{b:?}"
    );

    // A value of a list taken no longer, a bound narrowed, null no longer taken.
    let b = breaks_of(|c| {
        schema(c, "Publication")["enum"]
            .as_array_mut()
            .unwrap()
            .retain(|v| v != "withdrawn");
    });
    assert!(
        found(&b, &["Publication", "no longer takes", "withdrawn"]),
        "{b:?}"
    );
    let b = breaks_of(|c| {
        schema(c, "ActivityInput")["properties"]["states_concerned"]["maxItems"] = json!(10)
    });
    assert!(
        found(&b, &["ActivityInput.states_concerned", "maxItems"]),
        "{b:?}"
    );
    let b = breaks_of(|c| {
        schema(c, "ActivityInput")["properties"]["summary"] =
            json!({"$ref": "#/components/schemas/Multilingual"})
    });
    assert!(found(&b, &["summary", "no longer takes null"]), "{b:?}");

    // A query parameter newly required, or no longer taken.
    let b = breaks_of(|c| {
        let params = c["paths"]["/api/v1/activities"]["get"]["parameters"]
            .as_array_mut()
            .unwrap();
        params.iter_mut().find(|p| p["name"] == "state").unwrap()["required"] = json!(true);
    });
    assert!(
        found(&b, &["GET /api/v1/activities", "\"state\"", "now required"]),
        "{b:?}"
    );
    let b = breaks_of(|c| {
        c["paths"]["/api/v1/activities"]["get"]["parameters"]
            .as_array_mut()
            .unwrap()
            .retain(|p| p["name"] != "theme");
    });
    assert!(found(&b, &["\"theme\"", "no longer taken"]), "{b:?}");
}

#[test]
fn operations_stay_where_clients_call_them() {
    let b = breaks_of(|c| {
        c["paths"].as_object_mut().unwrap().remove("/api/v1/offers");
    });
    assert!(
        found(&b, &["GET /api/v1/offers", "no longer served"]),
        "{b:?}"
    );
    let b =
        breaks_of(|c| c["paths"]["/api/v1/activities"]["get"]["operationId"] = json!("activities"));
    assert!(
        found(&b, &["GET /api/v1/activities", "operationId"]),
        "{b:?}"
    );
    let b = breaks_of(|c| {
        c["paths"]["/api/v1/reference/themes"]["get"]["security"] = json!([{"bearer": []}])
    });
    assert!(
        found(&b, &["GET /api/v1/reference/themes", "now needs a token"]),
        "{b:?}"
    );
}

#[test]
fn what_only_adds_breaks_nothing() {
    let b = breaks_of(|c| {
        // A new optional field of an answer and of a request, a new value a request takes, a
        // new optional filter, a new operation, a new kind of change in the feed.
        schema(c, "Activity")["properties"]["priority"] = json!({"type": "integer"});
        schema(c, "ActivityInput")["properties"]["priority"] = json!({"type": "integer"});
        schema(c, "KnownThemeCode")["enum"]
            .as_array_mut()
            .unwrap()
            .push(json!("new_theme"));
        c["paths"]["/api/v1/activities"]["get"]["parameters"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "priority", "in": "query", "required": false, "schema": {"type": "integer"}}));
        c["paths"]["/api/v1/priorities"] = c["paths"]["/api/v1/offers"].clone();
        c["paths"]["/api/v1/priorities"]["get"]["operationId"] = json!("list_priorities");
        c["paths"]["/api/v1/priorities"]
            .as_object_mut()
            .unwrap()
            .remove("post");
        schema(c, "FeedItemPriority")["properties"] =
            json!({"type": {"type": "string", "enum": ["priority"]}});
        schema(c, "FeedItem")["oneOf"]
            .as_array_mut()
            .unwrap()
            .push(json!({"$ref": "#/components/schemas/FeedItemPriority"}));
        // A request's field made optional.
        let input = schema(c, "ActivityInput");
        input["required"]
            .as_array_mut()
            .unwrap()
            .retain(|f| f != "status");
    });
    assert_eq!(b, Vec::<String>::new());
}
