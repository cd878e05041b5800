//! Opaque cursors. A position — after an item of a list, at a rank of a search, after a change
//! of the feed — is a storage sequence number, and its gaps would count the writes a caller
//! cannot see and tell when they happened. So the service hands out the position encrypted
//! with AES-128 under a key of this installation: one 16-byte block (a kind tag, seven zero
//! bytes, the number), written as 22 base64url characters. Any block the service did not make
//! decrypts to one whose zero bytes are not zero, so a forged or altered cursor is refused
//! (docs/decisions/0007-opaque-cursors.md).

use aes::Aes128;
use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::db::DbConnection;

/// The length of every cursor, in characters.
pub const LENGTH: usize = 22;
/// The contract's pattern of a cursor.
pub const PATTERN: &str = "^[A-Za-z0-9_-]{22}$";

/// What a position counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// After the item of this sequence number (lists in creation order).
    After,
    /// At this rank (the rankings of matches; ranked searches before they named the items
    /// they rank).
    Offset,
    /// At a rank of a ranked search over the items up to a sequence number (both in the one
    /// number: `crate::routes::support::encode_cursor`).
    Ranked,
    /// After this change of the feed.
    Feed,
    /// After this change of the feed, below the floor of compaction: given to a reader from
    /// the start going through what was compacted, good while the floor stays where it was
    /// given ([`Cursors::encode_feed`]).
    Below,
}

impl Kind {
    fn tag(self) -> u8 {
        match self {
            Self::After => b'a',
            Self::Offset => b'o',
            Self::Ranked => b'r',
            Self::Feed => b'f',
            Self::Below => b'b',
        }
    }

    fn of(tag: u8) -> Option<Self> {
        match tag {
            b'a' => Some(Self::After),
            b'o' => Some(Self::Offset),
            b'r' => Some(Self::Ranked),
            b'f' => Some(Self::Feed),
            b'b' => Some(Self::Below),
            _ => None,
        }
    }
}

/// Encrypts and decrypts the cursors of one installation.
#[derive(Clone)]
pub struct Cursors(Aes128);

impl std::fmt::Debug for Cursors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cursors(…)")
    }
}

impl Cursors {
    /// The cipher of a secret (the key is the first half of its SHA-256).
    pub fn new(secret: &str) -> Self {
        let digest = Sha256::digest(secret.as_bytes());
        let key: [u8; 16] = digest[..16].try_into().expect("16 bytes");
        Self(Aes128::new(&key.into()))
    }

    /// The cipher of the secret the migrations made in this database, so that every instance
    /// on it reads the cursors of every other.
    pub fn load(conn: &mut DbConnection) -> anyhow::Result<Self> {
        use crate::db::schema::cursor_secret::dsl as c;
        use diesel::prelude::*;
        let secret = c::cursor_secret
            .filter(c::singleton.eq(1))
            .select(c::secret)
            .first::<String>(conn)
            .optional()?
            .filter(|s| s.len() >= 32)
            .ok_or_else(|| anyhow::anyhow!("the database holds no cursor secret"))?;
        Ok(Self::new(&secret))
    }

    pub fn encode(&self, kind: Kind, position: i64) -> String {
        self.encode_in(kind, [0; 7], position)
    }

    /// A cursor of one list (`scope`: its name), which no other list takes
    /// ([`Cursors::decode_in`]).
    pub fn encode_for(&self, kind: Kind, scope: &str, position: i64) -> String {
        self.encode_in(kind, scope_bytes(scope), position)
    }

    /// A cursor of the change feed after `position`; `under`, for a position below the floor
    /// of compaction, what the floor stood at (its low 32 bits, in place of four of the zero
    /// bytes).
    pub fn encode_feed(&self, position: i64, under: Option<u32>) -> String {
        match under {
            None => self.encode(Kind::Feed, position),
            Some(floor) => {
                let mut scope = [0; 7];
                scope[3..].copy_from_slice(&floor.to_be_bytes());
                self.encode_in(Kind::Below, scope, position)
            }
        }
    }

    /// The position of a cursor of the change feed, and what the floor stood at when it was
    /// given below it ([`Cursors::encode_feed`]); `None` for anything else.
    pub fn decode_feed(&self, cursor: &str) -> Option<(i64, Option<u32>)> {
        match self.open(cursor)? {
            (Kind::Feed, [0, 0, 0, 0, 0, 0, 0], position) => Some((position, None)),
            (Kind::Below, [0, 0, 0, a, b, c, d], position) => {
                Some((position, Some(u32::from_be_bytes([a, b, c, d]))))
            }
            _ => None,
        }
    }

    fn encode_in(&self, kind: Kind, scope: [u8; 7], position: i64) -> String {
        let mut block = [0u8; 16];
        block[0] = kind.tag();
        block[1..8].copy_from_slice(&scope);
        block[8..].copy_from_slice(&position.to_be_bytes());
        let mut block = aes::Block::from(block);
        self.0.encrypt_block(&mut block);
        URL_SAFE_NO_PAD.encode(block)
    }

    /// The kind and position of a cursor this installation gave out; `None` for anything else.
    pub fn decode(&self, cursor: &str) -> Option<(Kind, i64)> {
        let (kind, scope, position) = self.open(cursor)?;
        (scope == [0; 7]).then_some((kind, position))
    }

    /// The kind and position of a cursor this installation gave out for the list `scope`
    /// ([`Cursors::encode_for`]), or for no list in particular (as cursors were before they
    /// named their list); `None` for anything else, another list's cursor too.
    pub fn decode_in(&self, cursor: &str, scope: &str) -> Option<(Kind, i64)> {
        self.decode_in_any(cursor, &[scope])
    }

    /// [`Cursors::decode_in`] for a cursor given out for any of `scopes`.
    pub fn decode_in_any(&self, cursor: &str, scopes: &[&str]) -> Option<(Kind, i64)> {
        let (kind, of, position) = self.open(cursor)?;
        (of == [0; 7] || scopes.iter().any(|s| of == scope_bytes(s))).then_some((kind, position))
    }

    /// The kind and position of a cursor this installation gave out, for whatever list and
    /// filters it names: to compare positions (the upgrade tests), never to take a cursor.
    pub fn position_of(&self, cursor: &str) -> Option<(Kind, i64)> {
        self.open(cursor)
            .map(|(kind, _, position)| (kind, position))
    }

    fn open(&self, cursor: &str) -> Option<(Kind, [u8; 7], i64)> {
        if cursor.len() != LENGTH {
            return None;
        }
        let bytes: [u8; 16] = URL_SAFE_NO_PAD.decode(cursor).ok()?.try_into().ok()?;
        let mut block = aes::Block::from(bytes);
        self.0.decrypt_block(&mut block);
        let scope: [u8; 7] = block[1..8].try_into().ok()?;
        let position = i64::from_be_bytes(block[8..].try_into().ok()?);
        Some((Kind::of(block[0])?, scope, position)).filter(|_| position >= 0)
    }
}

/// What a cursor holds of its list's name: seven bytes of its SHA-256, never all zero (which
/// is no list in particular).
fn scope_bytes(scope: &str) -> [u8; 7] {
    let digest = Sha256::digest(scope.as_bytes());
    let mut bytes: [u8; 7] = digest[..7].try_into().expect("7 bytes");
    if bytes == [0; 7] {
        bytes[0] = 1;
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_forgeries_are_refused() {
        let cursors = Cursors::new("a secret of this installation, 32 characters or more");
        for (kind, n) in [
            (Kind::After, 0),
            (Kind::Offset, 400),
            (Kind::Ranked, 7 * 1024 + 50),
            (Kind::Feed, i64::MAX),
        ] {
            let cursor = cursors.encode(kind, n);
            assert_eq!(cursor.len(), LENGTH);
            assert!(
                cursor
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
            assert_eq!(cursors.decode(&cursor), Some((kind, n)));
        }
        // A list's cursor is taken by that list alone; an older cursor of no list by any.
        let listed = cursors.encode_for(Kind::After, "recommendations", 7);
        assert_eq!(
            cursors.decode_in(&listed, "recommendations"),
            Some((Kind::After, 7))
        );
        assert_eq!(cursors.decode_in(&listed, "stakeholders"), None);
        assert_eq!(cursors.decode(&listed), None, "nor is it the feed's");
        let older = cursors.encode(Kind::After, 7);
        assert_eq!(
            cursors.decode_in(&older, "stakeholders"),
            Some((Kind::After, 7))
        );
        // A feed cursor below the floor holds the floor; no list takes a feed cursor.
        let below = cursors.encode_feed(41, Some(7));
        assert_eq!(cursors.decode_feed(&below), Some((41, Some(7))));
        assert_eq!(
            cursors.decode_feed(&cursors.encode_feed(41, None)),
            Some((41, None))
        );
        assert_eq!(cursors.decode_in(&below, "stakeholders"), None);
        assert_eq!(cursors.decode_feed(&listed), None);
        // Neighbouring positions have unrelated cursors.
        let (a, b) = (
            cursors.encode(Kind::Feed, 41),
            cursors.encode(Kind::Feed, 42),
        );
        assert!(a.bytes().zip(b.bytes()).filter(|(x, y)| x == y).count() < 8);
        // Another installation's cursor, a tampered one, numbers and junk are refused.
        let other = Cursors::new("another installation's secret, 32 characters or more");
        assert_eq!(cursors.decode(&other.encode(Kind::Feed, 42)), None);
        let mut tampered = a.into_bytes();
        tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
        assert_eq!(cursors.decode(&String::from_utf8(tampered).unwrap()), None);
        for junk in [
            "",
            "42",
            "a42",
            "AAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAA+",
            "ÄÄÄÄÄÄÄÄÄÄÄ",
        ] {
            assert_eq!(cursors.decode(junk), None, "{junk}");
        }
    }
}
