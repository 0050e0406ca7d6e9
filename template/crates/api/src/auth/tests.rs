//! Token verification: what RFC 8725 asks, and the bounds the schema declares.

use super::*;

const SECRET: &[u8] = b"a-test-secret-of-32-bytes-or-more!!";

fn verifier() -> JwtVerifier {
    JwtVerifier::new(SECRET, "issuer", "audience").with_max_lifetime(Duration::from_secs(3600))
}

/// A token with the given claims and header, signed with the right key.
fn signed(header: &Header, edit: impl FnOnce(&mut Claims)) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut claims = Claims {
        sub: "alice".to_owned(),
        scope: ORDERS_READ.to_owned(),
        iss: "issuer".to_owned(),
        aud: "audience".to_owned(),
        exp: now + 600,
        nbf: Some(now),
        iat: Some(now),
    };
    edit(&mut claims);
    jsonwebtoken::encode(header, &claims, &EncodingKey::from_secret(SECRET)).unwrap()
}

#[test]
fn a_well_formed_token_is_accepted() {
    let token = signed(&Header::new(Algorithm::HS256), |_| {});
    assert_eq!(verifier().verify(&token).unwrap().sub, "alice");
    let minted = verifier().mint("bob", &[ORDERS_WRITE], Duration::from_secs(60)).unwrap();
    assert!(verifier().verify(&minted).is_ok());
}

#[test]
fn tokens_living_longer_than_the_maximum_are_refused() {
    let year_10000 = signed(&Header::new(Algorithm::HS256), |claims| {
        claims.exp = 253_402_300_800;
        claims.iat = None;
    });
    assert_eq!(verifier().verify(&year_10000), Err(TokenRefusal::Invalid));
    let issued_for_two_hours = signed(&Header::new(Algorithm::HS256), |claims| {
        claims.iat = Some(claims.exp - 7200);
    });
    assert_eq!(verifier().verify(&issued_for_two_hours), Err(TokenRefusal::Invalid));
    let minted = verifier().mint("bob", &[], Duration::from_secs(7200)).unwrap();
    assert_eq!(verifier().verify(&minted), Err(TokenRefusal::Invalid));
}

#[test]
fn an_unknown_critical_header_or_an_empty_subject_is_refused() {
    let mut critical = Header::new(Algorithm::HS256);
    critical.crit = Some(vec!["exp-ext".to_owned()]);
    assert_eq!(verifier().verify(&signed(&critical, |_| {})), Err(TokenRefusal::Invalid));
    for subject in ["", "   "] {
        let token = signed(&Header::new(Algorithm::HS256), |claims| claims.sub = subject.to_owned());
        assert_eq!(verifier().verify(&token), Err(TokenRefusal::Invalid), "{subject:?}");
    }
}

#[test]
fn subjects_and_scopes_beyond_the_documented_bounds_are_refused() {
    let long_subject = signed(&Header::new(Algorithm::HS256), |claims| {
        claims.sub = "s".repeat(MAX_SUBJECT_CHARS + 1);
    });
    assert_eq!(verifier().verify(&long_subject), Err(TokenRefusal::Invalid));
    let too_many = signed(&Header::new(Algorithm::HS256), |claims| {
        claims.scope = (0..=MAX_SCOPES).map(|n| format!("s{n}")).collect::<Vec<_>>().join(" ");
    });
    assert_eq!(verifier().verify(&too_many), Err(TokenRefusal::Invalid));
    for bad_scope in ["x".repeat(MAX_SCOPE_CHARS + 1), "quote\"d".to_owned()] {
        let token = signed(&Header::new(Algorithm::HS256), |claims| claims.scope = bad_scope.clone());
        assert_eq!(verifier().verify(&token), Err(TokenRefusal::Invalid), "{bad_scope}");
    }
}

#[test]
fn expired_and_invalid_tokens_are_told_apart() {
    let expired = signed(&Header::new(Algorithm::HS256), |claims| {
        claims.exp -= 3600;
        claims.nbf = None;
        claims.iat = None;
    });
    assert_eq!(verifier().verify(&expired), Err(TokenRefusal::Expired));
    assert!(TokenRefusal::Expired.challenge().contains("expired"));
    assert_eq!(verifier().verify("not.a.token"), Err(TokenRefusal::Invalid));
    let other_algorithm = signed(&Header::new(Algorithm::HS384), |_| {});
    assert_eq!(verifier().verify(&other_algorithm), Err(TokenRefusal::Invalid));
}

#[test]
fn a_remembered_token_is_served_only_until_it_expires() {
    let memory = verified_tokens::VerifiedTokens::default();
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        sub: "alice".to_owned(),
        scope: ORDERS_READ.to_owned(),
        iss: "issuer".to_owned(),
        aud: "audience".to_owned(),
        exp: now + 60,
        nbf: None,
        iat: None,
    };
    memory.insert("header.claims.signature", &claims);
    assert_eq!(memory.get("header.claims.signature", now, 30), Some(claims.clone()));
    assert_eq!(memory.get("header.claims.signature", now + 90, 30), Some(claims));
    assert_eq!(memory.get("header.claims.signature", now + 91, 30), None, "expired");
    assert_eq!(memory.get("header.claims.other-signature", now, 30), None);
}

#[test]
fn a_verified_token_altered_by_one_byte_is_verified_again_and_refused() {
    let verifier = verifier();
    let token = signed(&Header::new(Algorithm::HS256), |_| {});
    assert!(verifier.verify(&token).is_ok());
    assert!(verifier.verify(&token).is_ok(), "served from memory");
    let mut altered = token.clone().into_bytes();
    // Inside the signature (its last character carries padding bits).
    let inside = altered.len() - 5;
    altered[inside] = if altered[inside] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    assert_eq!(verifier.verify(&altered), Err(TokenRefusal::Invalid));
}
