//! Rate limiting per caller (OWASP API4: unrestricted resource consumption). Each caller has
//! a quota per operation class, reads (`GET`, `HEAD`, `OPTIONS`) and writes (everything else),
//! in requests per minute, enforced with GCRA (the `governor` crate): a burst of up to the
//! quota is allowed, then one request per `60 s / quota`.
//!
//! The caller is the verified token's subject when a valid bearer token came (authentication
//! happens once, here, and the security scheme reuses the outcome), else the client address
//! (for IPv6, its /64 prefix). The health probes are not limited.
//! Over the quota the answer is 429 problem+json with `Retry-After`; every response carries the
//! IETF `RateLimit-Policy` and `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers), e.g.
//! `RateLimit-Policy: "reads";q=600;w=60` and `RateLimit: "reads";r=597;t=1`.
//!
//! The state lives in this process: behind a load balancer each replica counts on its own, so
//! the effective quota is the per-replica quota times the replicas (see `docs/security.md`).

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use poem::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use poem::{Request, Response};

/// The path prefix of the health probes, which are not rate limited.
pub const PROBES: &str = "/health/";

/// The `RateLimit-Policy` response field.
pub const RATE_LIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// The `RateLimit` response field.
pub const RATE_LIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// Quotas per caller, in requests per minute (configuration `rate_limit.*`).
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Off only where a gateway in front of every replica enforces quotas per caller: the
    /// caller is still identified (the token verified once), nothing is counted or refused, and
    /// no `RateLimit` fields are sent.
    pub enabled: bool,
    pub reads_per_minute: NonZeroU32,
    pub writes_per_minute: NonZeroU32,
}

/// Finds the caller's verified identity on a request (and may leave the verification's
/// outcome in the request's data for the handlers); `None` for an anonymous caller.
pub type IdentifyCaller = Arc<dyn Fn(&mut Request) -> Option<Arc<str>> + Send + Sync>;

/// Who a quota is counted for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum CallerKey {
    Subject(Arc<str>),
    Address(IpAddr),
    Unknown,
}

type Limiter = RateLimiter<
    CallerKey,
    DefaultKeyedStateStore<CallerKey>,
    DefaultClock,
    StateInformationMiddleware,
>;

/// One operation class: its name in the headers, its quota and its limiter.
struct Class {
    name: &'static str,
    per_minute: u32,
    policy: HeaderValue,
    limiter: Limiter,
}

impl Class {
    fn new(name: &'static str, per_minute: NonZeroU32) -> Self {
        let policy = format!("\"{name}\";q={per_minute};w=60");
        Self {
            name,
            per_minute: per_minute.get(),
            policy: HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("")),
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute))
                .with_middleware::<StateInformationMiddleware>(),
        }
    }

    /// Seconds until `used` requests of the quota are replenished (rounded up).
    fn seconds_to_refill(&self, used: u32) -> u64 {
        (u64::from(used) * 60).div_ceil(u64::from(self.per_minute))
    }

    fn header(&self, remaining: u32, reset_seconds: u64) -> Option<HeaderValue> {
        HeaderValue::from_str(&format!(
            "\"{}\";r={remaining};t={reset_seconds}",
            self.name
        ))
        .ok()
    }
}

/// The limiters of the service, shared by every request.
pub(crate) struct CallerRateLimiter {
    enabled: bool,
    reads: Class,
    writes: Class,
    identify: IdentifyCaller,
    clock: DefaultClock,
    checks: AtomicU64,
}

/// Above this many tracked callers, callers back to a full quota are forgotten.
const TRACKED_CALLERS_BEFORE_CLEANUP: usize = 10_000;

impl CallerRateLimiter {
    pub(crate) fn new(limits: RateLimits, identify: IdentifyCaller) -> Self {
        Self {
            enabled: limits.enabled,
            reads: Class::new("reads", limits.reads_per_minute),
            writes: Class::new("writes", limits.writes_per_minute),
            identify,
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    fn class(&self, method: &Method) -> &Class {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            &self.reads
        } else {
            &self.writes
        }
    }

    fn key(&self, request: &mut Request) -> CallerKey {
        if let Some(subject) = (self.identify)(request) {
            return CallerKey::Subject(subject);
        }
        match request
            .remote_addr()
            .as_socket_addr()
            .map(|address| address.ip())
        {
            Some(IpAddr::V6(address)) if address.to_ipv4_mapped().is_none() => {
                // One IPv6 client holds a whole /64: count the prefix, not each address.
                let prefix = u128::from(address) & !((1u128 << 64) - 1);
                CallerKey::Address(IpAddr::V6(Ipv6Addr::from(prefix)))
            }
            Some(IpAddr::V6(address)) => CallerKey::Address(address.to_canonical()),
            Some(address) => CallerKey::Address(address),
            None => CallerKey::Unknown,
        }
    }

    /// Forgets, now and then, the callers whose quota is full again: memory follows the
    /// callers active within the last minute, not every caller ever seen.
    fn tidy(&self, class: &Class) {
        let checks = self.checks.fetch_add(1, Ordering::Relaxed);
        if checks.is_multiple_of(1024) && class.limiter.len() > TRACKED_CALLERS_BEFORE_CLEANUP {
            class.limiter.retain_recent();
            class.limiter.shrink_to_fit();
        }
    }
}

impl std::fmt::Debug for CallerRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallerRateLimiter")
            .field("enabled", &self.enabled)
            .field("reads_per_minute", &self.reads.per_minute)
            .field("writes_per_minute", &self.writes.per_minute)
            .finish_non_exhaustive()
    }
}

/// What admission found: the class counted and what is left of it, for the response's
/// `RateLimit` fields; nothing for a request that is not counted (a probe, or the limiter off).
pub(crate) struct Admission<'a>(Option<(&'a Class, u32)>);

impl Admission<'_> {
    /// Adds the `RateLimit-Policy` and `RateLimit` fields to the answer of an admitted request.
    pub(crate) fn stamp(self, response: &mut Response) {
        let Some((class, remaining)) = self.0 else {
            return;
        };
        let used = class.per_minute.saturating_sub(remaining);
        let headers = response.headers_mut();
        headers.insert(RATE_LIMIT_POLICY, class.policy.clone());
        if let Some(value) = class.header(remaining, class.seconds_to_refill(used)) {
            headers.insert(RATE_LIMIT, value);
        }
    }
}

impl CallerRateLimiter {
    /// Counts the request against its caller's quota: admitted (its answer then gets the
    /// [`Admission`]'s fields), or refused with 429 and the fields, over the quota. Takes the
    /// request by reference: the layer that calls it keeps the request in its own future.
    pub(crate) fn admit(&self, request: &mut Request) -> Result<Admission<'_>, poem::Error> {
        // The probes are never limited: a refused liveness probe restarts the pod, and the
        // orchestrator shares its address with whatever else comes from the node.
        if request.uri().path().starts_with(PROBES) {
            return Ok(Admission(None));
        }
        let key = self.key(request);
        if !self.enabled {
            return Ok(Admission(None));
        }
        let class = self.class(request.method());
        let decision = class.limiter.check_key(&key);
        self.tidy(class);
        match decision {
            Ok(state) => Ok(Admission(Some((class, state.remaining_burst_capacity())))),
            Err(not_until) => Err(self.refusal(class, not_until.wait_time_from(self.clock.now()))),
        }
    }

    /// The 429 for a caller over `class`'s quota, who may retry after `wait`.
    fn refusal(&self, class: &Class, wait: std::time::Duration) -> poem::Error {
        let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let retry_after = retry_after.max(1);
        let mut refusal = poem::Error::from_string(
            format!(
                "too many {} for this caller: at most {} a minute; retry after {retry_after} s",
                class.name, class.per_minute
            ),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .into_response();
        let headers = refusal.headers_mut();
        headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        headers.insert(RATE_LIMIT_POLICY, class.policy.clone());
        if let Some(value) = class.header(0, retry_after) {
            headers.insert(RATE_LIMIT, value);
        }
        poem::Error::from_response(refusal)
    }
}
