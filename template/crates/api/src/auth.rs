//! Bearer JWT authentication: a poem-openapi security scheme, so every protected operation
//! shows its requirement in the OpenAPI document.
//!
//! Tokens are HS256-signed with a secret from configuration. Signature, `exp`, `nbf`, issuer
//! and audience are checked; any other algorithm (including `none`) is refused. Missing or bad
//! tokens answer 401; a valid token without the operation's scope answers 403.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::auth::Bearer;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, SecurityScheme};
use serde::{Deserialize, Serialize};

use crate::ApiError;
use crate::problem::Problems;
use crate::problem::status::UNAUTHORIZED;
use crate::routes::ApiTags;

/// Read orders.
pub const ORDERS_READ: &str = "orders:read";
/// Create and change orders.
pub const ORDERS_WRITE: &str = "orders:write";
/// See and act on every caller's orders, not only one's own (ADR 0008).
pub const ORDERS_ADMIN: &str = "orders:admin";
/// Every scope this service knows.
pub const ALL_SCOPES: &[&str] = &[ORDERS_READ, ORDERS_WRITE, ORDERS_ADMIN];

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
}

impl Claims {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split_whitespace().any(|granted| granted == scope)
    }
}

/// Checks (and, for tests and local tools, mints) the service's tokens.
#[derive(Clone)]
pub struct JwtVerifier {
    decoding: DecodingKey,
    encoding: EncodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
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
            decoding: DecodingKey::from_secret(secret),
            encoding: EncodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }
    }

    /// The token's claims, if its signature and every registered claim check out.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
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
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
            nbf: Some(now),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }
}

/// A caller authenticated with a bearer JWT.
#[derive(Debug, SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "verify_bearer")]
pub struct BearerAuth(pub Claims);

async fn verify_bearer(request: &Request, bearer: Bearer) -> poem::Result<Claims> {
    let verifier = request.data::<JwtVerifier>().ok_or_else(|| {
        poem::Error::from_string("authentication is not configured", StatusCode::INTERNAL_SERVER_ERROR)
    })?;
    verifier.verify(&bearer.token).map_err(|err| {
        tracing::debug!(error = %err, "bearer token refused");
        ApiError::unauthorized("the bearer token is invalid or expired").into()
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
#[derive(Debug, Object)]
pub struct Identity {
    pub subject: String,
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
    async fn whoami(&self, caller: BearerAuth) -> Result<Json<Identity>, Problems<UNAUTHORIZED>> {
        Ok(Json(Identity {
            subject: caller.0.sub.clone(),
            scopes: caller.0.scope.split_whitespace().map(str::to_owned).collect(),
        }))
    }
}
