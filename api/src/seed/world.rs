//! The fixed facts the generated data hangs on: the 193 member States (real codes and names
//! from the reference data) with when each was reviewed, the languages it works in, and how
//! much it recommends, is recommended and receives; and the random draws everything uses.

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::phrases::TOPICS;
use crate::reference::{Country, CountryStatus, RegionalGroup, reference};

/// The day the generated data describes the world as of (dates and statuses are relative to
/// it, never to the clock, so that a seed always makes the same data).
pub fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date")
}

pub struct State {
    pub code: &'static str,
    pub country: &'static Country,
    /// The English short name, as a sentence has it.
    pub name: &'static str,
    /// The Working Group session of its review in each of the four cycles.
    pub sessions: [u16; 4],
    /// Languages it works in, ISO 639, the first its main one.
    pub languages: Vec<&'static str>,
    /// How many recommendations it receives, relative to the others.
    pub received: f64,
    /// How many it makes.
    pub voice: f64,
    /// How much technical cooperation it receives.
    pub aid: f64,
    /// How often each topic comes up in its reviews (index of `TOPICS`).
    pub topics: Vec<f64>,
}

pub struct World {
    pub rng: StdRng,
    pub states: Vec<State>,
}

const ARABIC: &[&str] = &[
    "ARE", "BHR", "COM", "DJI", "DZA", "EGY", "IRQ", "JOR", "KWT", "LBN", "LBY", "MAR", "MRT",
    "OMN", "QAT", "SAU", "SDN", "SOM", "SYR", "TUN", "YEM",
];
const FRENCH: &[&str] = &[
    "BEL", "BEN", "BFA", "BDI", "CAF", "CIV", "CMR", "COD", "COG", "COM", "DJI", "DZA", "FRA",
    "GAB", "GIN", "GNQ", "HTI", "LBN", "LUX", "MAR", "MCO", "MDG", "MLI", "MRT", "NER", "RWA",
    "SEN", "SYC", "TCD", "TGO", "TUN", "VUT", "CHE",
];
const RUSSIAN: &[&str] = &[
    "ARM", "AZE", "BLR", "KAZ", "KGZ", "RUS", "TJK", "TKM", "UZB",
];
const PORTUGUESE: &[&str] = &["AGO", "BRA", "CPV", "GNB", "MOZ", "PRT", "STP", "TLS"];

fn languages(c: &Country) -> Vec<&'static str> {
    let code = c.alpha3.as_str();
    let mut out = Vec::new();
    if ARABIC.contains(&code) {
        out.push("ar");
    }
    if FRENCH.contains(&code) {
        out.push("fr");
    }
    if RUSSIAN.contains(&code) {
        out.push("ru");
    }
    if PORTUGUESE.contains(&code) {
        out.push("pt");
    }
    if code == "CHN" {
        out.push("zh");
    }
    let caribbean = c
        .intermediate_region
        .as_ref()
        .is_some_and(|r| r.code == "029");
    if c.regional_group == Some(RegionalGroup::LatinAmericanAndCaribbean)
        && !caribbean
        && !PORTUGUESE.contains(&code)
        || code == "ESP"
        || code == "GNQ"
    {
        out.push("es");
    }
    // English for the others, and as a second language for about half of those that have
    // another.
    if out.is_empty() || code.as_bytes()[1].is_multiple_of(2) {
        out.push("en");
    }
    out
}

impl World {
    pub fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let data = reference();
        let mut members: Vec<&'static Country> = data
            .countries
            .iter()
            .filter(|c| c.status == CountryStatus::MemberState)
            .collect();
        members.sort_by(|a, b| a.alpha3.cmp(&b.alpha3));
        // The order of reviews: the same in every cycle, as the Council keeps it.
        let mut order: Vec<usize> = (0..members.len()).collect();
        order.shuffle(&mut rng);
        let mut place = vec![0usize; members.len()];
        for (p, &i) in order.iter().enumerate() {
            place[i] = p;
        }
        let n = members.len();
        let states = members
            .into_iter()
            .enumerate()
            .map(|(i, country)| {
                let sessions = std::array::from_fn(|c| {
                    let cycle = &data.cycles[c];
                    let count = usize::from(cycle.last_session - cycle.first_session + 1);
                    cycle.first_session + (place[i] * count / n) as u16
                });
                let weog = country.regional_group == Some(RegionalGroup::WesternEuropeanAndOthers);
                let aid = if weog {
                    0.15
                } else {
                    1.0 + 1.5 * f64::from(u8::from(country.ldc))
                        + 0.7 * f64::from(u8::from(country.sids))
                        + 0.4 * f64::from(u8::from(country.lldc))
                        + rng.random_range(0.0..1.5)
                };
                let voice = 0.2 + 4.0 * rng.random::<f64>().powi(3) + if weog { 1.5 } else { 0.0 };
                State {
                    code: country.alpha3.as_str(),
                    // UNTERM's "Niger (the)": "Niger" in a sentence.
                    name: country
                        .short_name
                        .en
                        .as_deref()
                        .map(|n| n.trim_end_matches(" (the)"))
                        .unwrap_or(&country.alpha3),
                    country,
                    sessions,
                    languages: languages(country),
                    received: rng.random_range(0.6..1.4),
                    voice,
                    aid,
                    topics: TOPICS
                        .iter()
                        .map(|t| f64::from(t.weight) * rng.random_range(0.3..2.0))
                        .collect(),
                }
            })
            .collect();
        Self { rng, states }
    }

    /// An index drawn with these weights.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        draw(&mut self.rng, weights)
    }

    /// A day from `from` to `to` (inclusive).
    pub fn day(&mut self, from: NaiveDate, to: NaiveDate) -> NaiveDate {
        let span = (to - from).num_days().max(0);
        from + chrono::Duration::days(self.rng.random_range(0..=span))
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }
}

/// An index drawn with these weights (all zero: the first).
pub fn draw(rng: &mut StdRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return 0;
    }
    let mut roll = rng.random_range(0.0..total);
    for (i, w) in weights.iter().enumerate() {
        if roll < *w {
            return i;
        }
        roll -= w;
    }
    weights.len() - 1
}

/// Cumulative weights, for drawing many times from a long list.
pub struct Table {
    cumulative: Vec<f64>,
}

impl Table {
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut total = 0.0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                total += w.max(0.0);
                total
            })
            .collect();
        Self { cumulative }
    }

    /// An index drawn with the weights; `None` when all are zero.
    pub fn draw(&self, rng: &mut StdRng) -> Option<usize> {
        let total = *self.cumulative.last()?;
        if total <= 0.0 {
            return None;
        }
        let roll = rng.random_range(0.0..total);
        Some(self.cumulative.partition_point(|c| *c <= roll))
    }
}

/// A month and year in words, e.g. "March 2025".
pub fn month_year(day: NaiveDate) -> String {
    day.format("%B %Y").to_string()
}

/// The first day of `day`'s month, `months` later.
pub fn add_months(day: NaiveDate, months: u32) -> NaiveDate {
    day.checked_add_months(chrono::Months::new(months))
        .unwrap_or(day)
        .with_day(1)
        .unwrap_or(day)
}
