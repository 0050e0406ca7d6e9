//! Bearer JWT authentication: a poem-openapi security scheme, so every protected operation
//! shows its requirement in the OpenAPI document.
//!
//! Tokens are HS256-signed with a secret from configuration, following RFC 8725: the algorithm
//! is pinned (any other, including `none`, is refused); signature, `exp`, `nbf`, issuer and
//! audience are checked; `sub` must be present and non-empty; a token may live at most
//! `auth.max_token_lifetime` (judged from `exp`, and from `iat` when present); a `crit` header
//! (an extension this service would have to understand) is refused. Missing or bad tokens
//! answer 401 with a `WWW-Authenticate` challenge (RFC 6750) that says whether the token was
//! missing, expired or invalid; a valid token without the operation's scope answers 403.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use poem::Request;
use poem::http::{StatusCode, header};
use poem_openapi::auth::Bearer;
use poem_openapi::{Object, OpenApi, SecurityScheme};
use serde::{Deserialize, Serialize};

mod verified_tokens;

use crate::ApiError;
use crate::json_body::JsonBody;
use crate::problem::Problems;
use crate::problem::status::UNAUTHORIZED;
use crate::routes::ApiTags;

/// Read orders.
pub const ORDERS_READ: &str = "orders:read";
/// Create and change orders.
pub const ORDERS_WRITE: &str = "orders:write";
/// See and act on every caller's orders, not only one's own (ADR 0008).
pub const ORDERS_ADMIN: &str = "orders:admin";
/// Every scope this service knows (what `dev-token` grants by default).
pub const ALL_SCOPES: &[&str] = &[
    ORDERS_READ,
    ORDERS_WRITE,
    ORDERS_ADMIN,
    // xtask-generate: scopes
];

/// The claims this service reads from a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Who the caller is.
    pub sub: String,
    /// Granted scopes, space-separated (RFC 8693 `scope`).
    #[serde(default)]
    pub scope: String,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
}

/// Why a token was refused: the two cases a client handles differently (refresh, or re-login).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Past its `exp`: get a new token.
    Expired,
    /// Anything else: bad signature, algorithm, issuer, audience, claims, lifetime or header.
    Invalid,
}

impl TokenRefusal {
    /// The RFC 6750 challenge for the `WWW-Authenticate` header.
    pub fn challenge(self) -> &'static str {
        match self {
            Self::Expired => r#"Bearer error="invalid_token", error_description="the token has expired""#,
            Self::Invalid => r#"Bearer error="invalid_token", error_description="the token is invalid""#,
        }
    }

    fn detail(self) -> &'static str {
        match self {
            Self::Expired => "the bearer token has expired",
            Self::Invalid => "the bearer token is invalid",
        }
    }
}

/// The longest `sub` accepted (the schema of `Identity.subject` says the same).
pub const MAX_SUBJECT_CHARS: usize = 255;
/// The most scopes a token may carry, and the longest one (the schema of `Identity.scopes`).
pub const MAX_SCOPES: usize = 32;
pub const MAX_SCOPE_CHARS: usize = 64;

/// An RFC 6749 scope token: 1 to [`MAX_SCOPE_CHARS`] printable ASCII characters but `"` and `\`.
fn is_scope_token(scope: &str) -> bool {
    (1..=MAX_SCOPE_CHARS).contains(&scope.len())
        && scope.bytes().all(|byte| matches!(byte, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// The longest a token may be valid by default (`auth.max_token_lifetime`).
pub const DEFAULT_MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

impl Claims {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split_whitespace().any(|granted| granted == scope)
    }
}

/// Checks (and, for tests and local tools, mints) the service's tokens. Cloning it is cheap
/// (two shared handles): it is in every request's data.
#[derive(Clone)]
pub struct JwtVerifier {
    keys: Arc<Keys>,
    max_lifetime: Duration,
    /// Tokens already verified, shared by the clones (see `verified_tokens`).
    verified: Arc<verified_tokens::VerifiedTokens>,
}

/// What a token is checked against and minted with, fixed at start.
struct Keys {
    decoding: DecodingKey,
    encoding: EncodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("issuer", &self.keys.issuer)
            .field("audience", &self.keys.audience)
            .field("max_lifetime", &self.max_lifetime)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    pub fn new(secret: &[u8], issuer: &str, audience: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        Self {
            keys: Arc::new(Keys {
                decoding: DecodingKey::from_secret(secret),
                encoding: EncodingKey::from_secret(secret),
                validation,
                issuer: issuer.to_owned(),
                audience: audience.to_owned(),
            }),
            max_lifetime: DEFAULT_MAX_TOKEN_LIFETIME,
            verified: Arc::default(),
        }
    }

    /// Refuses tokens valid for longer than `max_lifetime`.
    #[must_use]
    pub fn with_max_lifetime(mut self, max_lifetime: Duration) -> Self {
        self.max_lifetime = max_lifetime;
        self
    }

    /// The token's claims, if its signature, header and every claim check out. A token
    /// verified before is served from memory until it expires (see `verified_tokens`).
    pub fn verify(&self, token: &str) -> Result<Claims, TokenRefusal> {
        let now = chrono::Utc::now().timestamp();
        let leeway = i64::try_from(self.keys.validation.leeway).unwrap_or(0);
        if let Some(claims) = self.verified.get(token, now, leeway) {
            return Ok(claims);
        }
        let claims = self.check(token)?;
        self.verified.insert(token, &claims);
        Ok(claims)
    }

    /// Every check of [`JwtVerifier::verify`], without memory.
    fn check(&self, token: &str) -> Result<Claims, TokenRefusal> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.keys.decoding, &self.keys.validation)
            .map_err(|err| match err.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenRefusal::Expired,
                _ => TokenRefusal::Invalid,
            })?;
        if data.header.crit.is_some() {
            return Err(TokenRefusal::Invalid);
        }
        let claims = data.claims;
        if claims.sub.trim().is_empty()
            || claims.sub.chars().count() > MAX_SUBJECT_CHARS
            || claims.sub.chars().any(char::is_control)
        {
            return Err(TokenRefusal::Invalid);
        }
        let scopes: Vec<&str> = claims.scope.split_whitespace().collect();
        if scopes.len() > MAX_SCOPES || scopes.iter().any(|scope| !is_scope_token(scope)) {
            return Err(TokenRefusal::Invalid);
        }
        // Still valid for longer than the maximum from now, or issued for longer than it.
        let max_lifetime = i64::try_from(self.max_lifetime.as_secs()).unwrap_or(i64::MAX);
        let leeway = i64::try_from(self.keys.validation.leeway).unwrap_or(0);
        let remaining = claims.exp.saturating_sub(chrono::Utc::now().timestamp());
        let issued_for = claims.iat.map_or(0, |iat| claims.exp.saturating_sub(iat));
        if remaining > max_lifetime.saturating_add(leeway) || issued_for > max_lifetime {
            return Err(TokenRefusal::Invalid);
        }
        Ok(claims)
    }

    /// A token for `subject` with `scopes`, valid for `ttl` (local tools and tests).
    pub fn mint(
        &self,
        subject: &str,
        scopes: &[&str],
        ttl: Duration,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: subject.to_owned(),
            scope: scopes.join(" "),
            iss: self.keys.issuer.clone(),
            aud: self.keys.audience.clone(),
            exp: now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
            nbf: Some(now),
            iat: Some(now),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.keys.encoding)
    }
}

/// A caller authenticated with a bearer JWT, conforming to RFC8725.
///
/// An HS256-signed JWT following RFC8725 (JSON Web Token Best Current Practices): the
/// algorithm is pinned to HS256 (`none` and every other algorithm are refused); the
/// signature, `exp`, `nbf`, `iss` and `aud` are checked; `sub` is required, non-empty and at
/// most 255 characters without control characters; a token valid for longer than the service's maximum lifetime
/// (`auth.max_token_lifetime`, 24 h by default) is refused, and so is any `crit` header.
/// Scopes come space-separated in `scope` (at most 32, each at most 64 characters).
#[derive(Debug, SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "verify_bearer")]
pub struct BearerAuth(pub Claims);

/// The outcome of verifying a request's bearer token, kept in the request's data so that the
/// token is verified once per request (by the rate limiter, which counts per subject).
#[derive(Debug, Clone)]
pub(crate) struct VerifiedBearer {
    token: String,
    outcome: Result<Claims, TokenRefusal>,
}

/// Verifies the request's bearer token, if any, and keeps the outcome for the security
/// scheme: the caller's subject when the token is valid.
pub(crate) fn authenticate(request: &mut Request, verifier: &JwtVerifier) -> Option<Arc<str>> {
    let value = request.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    let outcome = verifier.verify(token);
    let subject = outcome.as_ref().ok().map(|claims| Arc::from(claims.sub.as_str()));
    request.set_data(VerifiedBearer {
        token: token.to_owned(),
        outcome,
    });
    subject
}

async fn verify_bearer(request: &Request, bearer: Bearer) -> poem::Result<Claims> {
    let outcome = match request.data::<VerifiedBearer>() {
        Some(verified) if verified.token == bearer.token => verified.outcome.clone(),
        _ => {
            let verifier = request.data::<JwtVerifier>().ok_or_else(|| {
                poem::Error::from_string(
                    "authentication is not configured",
                    StatusCode::INTERNAL_SERVER_ERROR,
                )
            })?;
            verifier.verify(&bearer.token)
        }
    };
    outcome.map_err(|refusal| {
        tracing::debug!(?refusal, "bearer token refused");
        ApiError::unauthorized(refusal.detail(), refusal.challenge()).into()
    })
}

impl BearerAuth {
    /// `Ok` when the caller holds `scope`, else 403.
    pub fn require_scope(&self, scope: &str) -> Result<(), ApiError> {
        if self.0.has_scope(scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("this operation needs the `{scope}` scope")))
        }
    }
}

/// The caller as the service sees it.
#[derive(Debug, Object, Serialize)]
pub struct Identity {
    /// The token's `sub`: no control characters.
    #[oai(validator(max_length = 255, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"))]
    pub subject: String,
    /// The token's scopes.
    #[oai(validator(max_items = 32, max_length = 64, pattern = "^[!#-\\[\\]-~]+$"))]
    pub scopes: Vec<String>,
}

#[derive(Debug)]
pub struct WhoAmIApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Identity")]
impl WhoAmIApi {
    /// Who am I
    ///
    /// The subject and scopes of the presented token: a quick way to check a token.
    #[oai(path = "/whoami", method = "get", operation_id = "whoami")]
    async fn whoami(&self, caller: BearerAuth) -> Result<JsonBody<Identity>, Problems<UNAUTHORIZED>> {
        Ok(JsonBody(Identity {
            subject: caller.0.sub.clone(),
            scopes: caller.0.scope.split_whitespace().map(str::to_owned).collect(),
        }))
    }
}

#[cfg(test)]
mod tests;
