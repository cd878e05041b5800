//! The annual report in the forms people read (issue 12): a table as CSV, and the report as a
//! page: self-contained HTML (no script, no
//! external resource, no web font), headline figures, every table, and a bar chart of each
//! drawn as inline SVG on the server; print styles that fit A4. The page's own words are in
//! English and French (the other languages fall back to English for them); the labels of the
//! rows are the report's, in the language asked.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::Value;

use crate::app::report::Report;
use crate::domain::Language;
use crate::domain::report::{ReportScope, Table};

/// The page's own words.
struct Words {
    title: &'static str,
    public: &'static str,
    full: &'static str,
    counted: &'static str,
    activities: &'static str,
    states: &'static str,
    served: &'static str,
    code: &'static str,
    label: &'static str,
    none: &'static str,
    columns: [(&'static str, &'static str); 18],
}

const EN: Words = Words {
    title: "Technical cooperation and capacity-building for the implementation of UPR recommendations",
    public: "Figures over public activities only: those the States concerned consented to publish.",
    full: "Full figures over every activity, public or not: for OHCHR's own use.",
    counted: "Counted on",
    activities: "activities",
    states: "States concerned",
    served: "of accepted recommendations served by an activity",
    code: "Code",
    label: "Name",
    none: "Nothing to count in this year.",
    columns: [
        ("activities", "Activities"),
        ("previous_year", "Previous year"),
        ("accepted", "Accepted"),
        ("served", "Served"),
        ("share", "Share"),
        ("served_previous_year", "Served, previous year"),
        ("total", "Total"),
        ("total_previous_year", "Total, previous year"),
        ("own", "Own submissions"),
        ("granted_all", "Granted for all"),
        ("granted_submitter", "Granted for the submitter"),
        ("granted_activity", "Granted for the activity"),
        ("refused", "Refused or withdrawn"),
        ("awaiting", "Awaiting consent"),
        ("submissions", "Submissions"),
        ("value", "Value"),
        ("states", "States"),
        ("status", "Status"),
    ],
};

const FR: Words = Words {
    title: "Coopération technique et renforcement des capacités pour la mise en œuvre des recommandations de l'EPU",
    public: "Chiffres portant sur les seules activités publiques : celles dont les États concernés ont accepté la publication.",
    full: "Chiffres complets portant sur toutes les activités, publiques ou non : à l'usage du HCDH.",
    counted: "Compté le",
    activities: "activités",
    states: "États concernés",
    served: "des recommandations acceptées servies par une activité",
    code: "Code",
    label: "Nom",
    none: "Rien à compter pour cette année.",
    columns: [
        ("activities", "Activités"),
        ("previous_year", "Année précédente"),
        ("accepted", "Acceptées"),
        ("served", "Servies"),
        ("share", "Part"),
        ("served_previous_year", "Servies, année précédente"),
        ("total", "Total"),
        ("total_previous_year", "Total, année précédente"),
        ("own", "Soumissions propres"),
        ("granted_all", "Accordé pour toutes"),
        ("granted_submitter", "Accordé pour l'auteur"),
        ("granted_activity", "Accordé pour l'activité"),
        ("refused", "Refusé ou retiré"),
        ("awaiting", "En attente de consentement"),
        ("submissions", "Soumissions"),
        ("value", "Valeur"),
        ("states", "États"),
        ("status", "État d'avancement"),
    ],
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::Fr => &FR,
        _ => &EN,
    }
}

/// Styles for the screen and for A4 paper.
const STYLE: &str = r#"
body { font-family: "Helvetica Neue", Arial, "Liberation Sans", sans-serif; color: #1b1b1b;
  margin: 2rem auto; max-width: 56rem; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.5rem; margin-bottom: 0.25rem; }
h2 { font-size: 1.1rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid #c9c9c9; }
.scope, .counted { color: #4a4a4a; margin: 0.25rem 0; }
.headline { display: flex; gap: 1.5rem; margin: 1.5rem 0; flex-wrap: wrap; }
.figure { border: 1px solid #c9c9c9; padding: 0.75rem 1rem; min-width: 10rem; }
.figure strong { display: block; font-size: 1.75rem; color: #0b5394; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; margin-top: 0.5rem; }
th, td { border-bottom: 1px solid #e0e0e0; padding: 0.2rem 0.4rem; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font-size: 12px; fill: #1b1b1b; }
svg rect { fill: #0b5394; }
section { break-inside: avoid; page-break-inside: avoid; }
@page { size: A4; margin: 15mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .figure strong { color: #000; }
  svg rect { fill: #555; }
}
"#;

/// Rows a chart shows at most: the first ones, as the table is ordered (most first).
const CHART_ROWS: usize = 12;

fn number(cell: &Value) -> f64 {
    cell.as_f64().unwrap_or(0.0)
}

fn text(cell: &Value) -> String {
    match cell {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The column a chart draws: the share for coverage, the submissions of each month, else the
/// count of the year; none for a table of mixed figures (the matching summary) or a list.
fn charted(table: &Table) -> Option<usize> {
    ["share", "submissions", "activities"]
        .iter()
        .find_map(|name| table.columns.iter().position(|c| c == name))
}

/// A horizontal bar chart of a table's first rows.
fn chart(table: &Table, column: usize) -> Markup {
    let rows: Vec<&Vec<Value>> = table.rows.iter().take(CHART_ROWS).collect();
    let max = rows
        .iter()
        .map(|r| number(&r[column]))
        .fold(0.0_f64, f64::max);
    let (label_width, bar_width, row_height) = (230.0, 330.0, 22.0);
    let width = label_width + bar_width + 70.0;
    let height = row_height * rows.len() as f64 + 4.0;
    html! {
        svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label=(table.title)
            width=(width) height=(height) viewBox={"0 0 " (width) " " (height)} {
            @for (i, row) in rows.iter().enumerate() {
                @let value = number(&row[column]);
                @let y = row_height * i as f64;
                @let bar = if max > 0.0 { bar_width * value / max } else { 0.0 };
                @let label = text(&row[1]);
                @let short: String = if label.chars().count() > 34 {
                    crate::domain::validate::with_directions_closed(
                        label.chars().take(33).chain(['…']).collect(),
                    )
                } else {
                    label.clone()
                };
                text x=(label_width - 6.0) y=(y + 15.0) text-anchor="end" {
                    title { (label) } (short)
                }
                rect x=(label_width) y=(y + 3.0) width=(format!("{bar:.1}")) height=(row_height - 6.0) {}
                text x=(label_width + bar + 4.0) y=(y + 15.0) { (text(&row[column])) }
            }
        }
    }
}

fn column_title(w: &Words, column: &str) -> String {
    match column {
        "code" => w.code.to_owned(),
        "label" => w.label.to_owned(),
        other => w
            .columns
            .iter()
            .find(|(name, _)| *name == other)
            .map_or_else(|| other.to_owned(), |(_, title)| (*title).to_owned()),
    }
}

fn section(w: &Words, table: &Table) -> Markup {
    html! {
        section id=(table.name) {
            h2 { (table.title) }
            @if table.rows.is_empty() {
                p { (w.none) }
            } @else {
                @if let Some(column) = charted(table) {
                    (chart(table, column))
                }
                table {
                    thead { tr {
                        @for (i, c) in table.columns.iter().enumerate() {
                            th.n[i > 1] scope="col" { (column_title(w, c)) }
                        }
                    } }
                    tbody {
                        @for row in &table.rows {
                            tr {
                                @for (i, cell) in row.iter().enumerate() {
                                    td.n[i > 1] { (text(cell)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The sum of one column of a table, when the report has that table.
fn total(report: &Report, table: &str, column: &str) -> Option<f64> {
    let t = report.tables.iter().find(|t| t.name == table)?;
    let c = t.columns.iter().position(|x| x == column)?;
    Some(t.rows.iter().map(|r| number(&r[c])).sum())
}

/// The page of a report.
pub fn render(report: &Report) -> String {
    let w = words(report.lang);
    let year = report.year.map(|y| y.to_string()).unwrap_or_default();
    let title = format!("{} — {year}", w.title);
    // Each activity has one status: the status table sums to the activities of the year.
    let activities = total(report, "activities_by_status", "activities").unwrap_or(0.0);
    let states = report
        .tables
        .iter()
        .find(|t| t.name == "activities_by_state")
        .map_or(0, |t| t.rows.iter().filter(|r| number(&r[2]) > 0.0).count());
    let accepted = total(report, "recommendation_coverage_by_cycle", "accepted").unwrap_or(0.0);
    let served = total(report, "recommendation_coverage_by_cycle", "served").unwrap_or(0.0);
    let share = if accepted > 0.0 {
        format!("{:.0} %", served / accepted * 100.0)
    } else {
        "–".to_owned()
    };
    html! {
        (DOCTYPE)
        html lang=(report.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // No icon: the page asks nothing more of the service (a browser would ask for
                // /favicon.ico, a 404).
                link rel="icon" href="data:,";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { (title) }
                    p.scope {
                        @match report.scope {
                            ReportScope::Public => (w.public),
                            ReportScope::Full => (w.full),
                        }
                    }
                    p.counted {
                        (w.counted) " " (report.generated_at.format("%Y-%m-%d %H:%M UTC"))
                    }
                }
                div.headline {
                    div.figure { strong { (activities) } (w.activities) }
                    div.figure { strong { (states) } (w.states) }
                    div.figure { strong { (share) } (w.served) }
                }
                @for table in &report.tables {
                    (section(w, table))
                }
            }
        }
    }
    .into_string()
}

/// A table as CSV: the column names, then each row; a cell a spreadsheet would run as a
/// formula is prefixed with `'`, as in every export.
pub fn csv(table: &Table) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&table.columns)?;
    for row in &table.rows {
        out.write_record(row.iter().map(|cell| match cell {
            Value::String(s) => crate::import::neutralise(s.clone()),
            Value::Null => String::new(),
            other => other.to_string(),
        }))?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A label cut short in a chart keeps the direction it opened to itself.
    #[test]
    fn a_label_cut_short_closes_what_it_opened() {
        let long = format!("\u{202b}{}\u{202c}", "منظمة ".repeat(10));
        let table = Table {
            name: "activities_by_stakeholder".into(),
            title: "Activities".into(),
            columns: vec!["code".into(), "label".into(), "activities".into()],
            rows: vec![vec![
                Value::from("x"),
                Value::from(long.clone()),
                Value::from(3),
            ]],
        };
        let page = chart(&table, 2).into_string();
        let short = page
            .split("</title>")
            .nth(1)
            .and_then(|rest| rest.split("</text>").next())
            .unwrap();
        assert!(short.ends_with("…\u{202c}"), "{short:?}");
        assert_eq!(
            crate::domain::validate::open_directions(short),
            (false, vec![])
        );
    }
}
