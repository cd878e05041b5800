//! Digests written as hexadecimal text: SHA-256 for what is stored (natural keys, request
//! fingerprints), BLAKE3 for what is computed again on every request (ETags of bodies).

use sha2::{Digest, Sha256};

/// Bytes as lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
}

/// A natural key (what makes two items the same, hashed as texts are long): the first 16 bytes
/// of the SHA-256 of `data`, in hexadecimal. 128 bits: among a billion items the odds that two
/// different ones share a key are under one in 10^20; half the bytes of the whole digest in each
/// row and in its unique index.
pub fn natural_key(data: impl AsRef<[u8]>) -> String {
    sha256_hex(data, 16)
}

/// The first `bytes` bytes (at most 32) of the SHA-256 of `data`, in hexadecimal.
pub fn sha256_hex(data: impl AsRef<[u8]>, bytes: usize) -> String {
    let digest = Sha256::digest(data.as_ref());
    hex(&digest[..bytes.min(digest.len())])
}

/// The ETag of a body: the first `bytes` bytes (at most 32) of its BLAKE3 hash, in
/// hexadecimal. Lists, reports and consent records are hashed whole on every request that
/// reads them; BLAKE3 does that several times faster than SHA-256 does here (a page of 50
/// recommendations: SHA-256 was the largest single cost of the request, docs/benchmarks.md),
/// and is as hard to collide. Nothing stores these digests, so changing the hash only makes
/// clients' cached copies be sent once more.
pub fn tag(data: impl AsRef<[u8]>, bytes: usize) -> String {
    let digest = blake3::hash(data.as_ref());
    hex(&digest.as_bytes()[..bytes.min(32)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_hexadecimal() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert_eq!(
            sha256_hex("abc", 32),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(sha256_hex("abc", 4), "ba7816bf");
        // BLAKE3's published digest of "abc".
        assert_eq!(tag("abc", 8), "6437b3ac38465133");
        assert_eq!(tag("abc", 64).len(), 64);
    }
}
