//! One module per resource; request and response types live next to their handlers.

pub mod activities;
pub mod assistance_requests;
pub mod audit;
pub(crate) mod body;
pub mod bulk;
pub mod changes;
pub mod consents;
pub mod coordination;
mod export;
pub mod health;
pub mod index;
pub mod interests;
pub mod matches;
pub mod me;
pub mod offers;
pub(crate) mod query;
pub mod recommendations;
pub mod reference;
pub mod reports;
pub mod snapshot;
pub mod stakeholders;
pub(crate) mod support;

use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Declares a page of a list: `{"items": [...], "next_cursor": "…" | null}`.
macro_rules! page_type {
    ($name:ident, $item:ty) => {
        #[doc = concat!("A page of ", stringify!($item), " items.")]
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; `null` on the last page.
            pub next_cursor: Option<String>,
        }

        impl $name {
            /// A list that fits in one page.
            #[allow(dead_code)]
            pub fn complete(items: Vec<$item>) -> Self {
                Self {
                    items,
                    next_cursor: None,
                }
            }
        }
    };
}
pub(crate) use page_type;

/// Every route the service answers. `startup` serves it and derives the contract from it, so
/// nothing is served undocumented.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(index::get_index)
        .service(health::live)
        .service(health::ready)
        .service(
            scope::scope("/api/v1")
                .service(me::get_me)
                .service(audit::list_audit_entries)
                .service(changes::list_changes)
                .service(snapshot::export_snapshot)
                .service(
                    scope::scope("/recommendations")
                        .service(recommendations::list_recommendations)
                        .service(recommendations::create_recommendation)
                        .service(recommendations::get_recommendation)
                        .service(matches::list_potential_partners)
                        .service(recommendations::replace_recommendation)
                        .service(recommendations::patch_recommendation)
                        .service(recommendations::delete_recommendation),
                )
                .service(
                    scope::scope("/stakeholders")
                        .service(stakeholders::list_stakeholders)
                        .service(stakeholders::create_stakeholder)
                        .service(stakeholders::get_stakeholder)
                        .service(stakeholders::replace_stakeholder)
                        .service(stakeholders::patch_stakeholder)
                        .service(stakeholders::delete_stakeholder),
                )
                .service(
                    scope::scope("/activities")
                        .service(activities::list_activities)
                        .service(activities::create_activity)
                        .service(activities::get_activity)
                        .service(activities::replace_activity)
                        .service(activities::patch_activity)
                        .service(activities::delete_activity)
                        .service(activities::decline_participation),
                )
                .service(
                    scope::scope("/assistance-requests")
                        .service(assistance_requests::list_assistance_requests)
                        .service(assistance_requests::create_assistance_request)
                        .service(assistance_requests::get_assistance_request)
                        .service(matches::list_assistance_request_matches)
                        .service(assistance_requests::replace_assistance_request)
                        .service(assistance_requests::patch_assistance_request)
                        .service(assistance_requests::delete_assistance_request)
                        .service(interests::create_interest)
                        .service(interests::list_interests)
                        .service(interests::get_interest)
                        .service(interests::accept_interest)
                        .service(interests::decline_interest)
                        .service(interests::withdraw_interest)
                        .service(interests::create_activity_from_interest),
                )
                .service(
                    scope::scope("/offers")
                        .service(offers::list_offers)
                        .service(offers::create_offer)
                        .service(offers::get_offer)
                        .service(matches::list_offer_matches)
                        .service(offers::replace_offer)
                        .service(offers::patch_offer)
                        .service(offers::delete_offer),
                )
                .service(
                    scope::scope("/consents")
                        .service(consents::list_consents)
                        .service(consents::create_consent)
                        .service(consents::get_consent),
                )
                .service(consents::get_state_consent)
                .service(coordination::get_state_coordination)
                .service(reports::get_annual_report)
                .service(reports::get_annual_report_table)
                .service(reports::get_statistics)
                .service(
                    scope::scope("/bulk")
                        .service(bulk::import_recommendations)
                        .service(bulk::import_stakeholders)
                        .service(bulk::import_activities)
                        .service(bulk::import_assistance_requests)
                        .service(bulk::import_offers),
                )
                .service(
                    scope::scope("/reference")
                        .wrap(actix_web::middleware::from_fn(support::release_cached))
                        .service(reference::list_countries)
                        .service(reference::resolve_countries)
                        .service(reference::get_country)
                        .service(reference::list_sdg_goals)
                        .service(reference::list_sdg_targets)
                        .service(reference::list_cycles)
                        .service(reference::list_activity_statuses)
                        .service(reference::list_organisation_roles)
                        .service(reference::list_stakeholder_kinds)
                        .service(reference::list_modalities)
                        .service(reference::list_funding_sources)
                        .service(reference::list_themes)
                        .service(reference::list_affected_persons)
                        .service(reference::list_languages)
                        .service(reference::get_language),
                ),
        );
}
