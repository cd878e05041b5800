//! Recommendations: the catalogue `admin` curates.

use super::Expected;
use super::{Edit, Principal, Result, policy, valid};
use crate::db::DbConnection;
use crate::db::documents::{self, WriteError};
use crate::db::tx::write;
use crate::domain::RecommendationId;
use crate::domain::recommendation::{Recommendation, RecommendationInput};

/// Adds a recommendation.
pub fn create(
    conn: &mut DbConnection,
    principal: &Principal,
    input: RecommendationInput,
) -> Result<Recommendation> {
    let input = valid(input.validate())?;
    policy::may_curate_recommendations(principal)?;
    super::insert(conn, principal, input)
}

/// Changes a recommendation (a replacement or a merge patch); with `expected`, only if it is
/// still that version. A bad change is refused whatever its `expected`.
pub fn change(
    conn: &mut DbConnection,
    principal: &Principal,
    id: RecommendationId,
    edit: Edit<RecommendationInput>,
    expected: Expected,
) -> Result<Recommendation> {
    policy::may_curate_recommendations(principal)?;
    let actor = principal.actor();
    let replacement = match edit {
        Edit::Replace(input) => Ok(valid(input.validate())?),
        Edit::Patch(patch) => Err(Edit::<RecommendationInput>::Patch(patch)),
    };
    write(conn, |c| {
        let input = match replacement {
            Ok(content) => content,
            Err(patch) => {
                let current: Recommendation = documents::get(c, id)?.ok_or(WriteError::NotFound)?;
                valid(patch.apply(&current.content)?.validate())?
            }
        };
        Ok(documents::replace(c, &actor, id, input, &expected)?)
    })
}

/// Deletes a recommendation no activity names; with `expected`, only if it is still that
/// version.
pub fn delete(
    conn: &mut DbConnection,
    principal: &Principal,
    id: RecommendationId,
    expected: Expected,
) -> Result<()> {
    policy::may_curate_recommendations(principal)?;
    super::delete::<Recommendation>(conn, principal, id, expected)
}
