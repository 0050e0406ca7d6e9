//! Where a request enters the API, inside the middleware, in one endpoint: the service's own
//! documents are answered here (the OpenAPI document as JSON at `/openapi.json` and YAML at
//! `/openapi.yaml`, Swagger UI at `/docs`); any other request gets the state its handlers read
//! (`Data<&T>`) and goes to the API's routes.
//!
//! One endpoint instead of a router of its own with the API nested under it and a `.data()`
//! layer per piece of state: nesting cost every API request a second route lookup, a re-parsed
//! URI and a boxed future, and each layer a copy of the request into a future of its own
//! (measured: the template repository's `docs/profiles.md`). Each document is rendered once,
//! at start, and shared by every response that serves it.

use std::sync::Arc;

use bytes::Bytes;
use poem::error::MethodNotAllowedError;
use poem::http::{HeaderValue, Method, header};
use poem::{Endpoint, IntoResponse, PathPattern, Request, Response};

/// The methods each document answers; any other is a 405 with this `Allow`.
pub(crate) const DOCUMENT_METHODS: &[Method] = &[Method::GET];

/// One document: where it is served, as what, and its bytes.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    path: &'static str,
    content_type: HeaderValue,
    /// A page's own content security policy; a document without one gets the API's.
    content_security_policy: Option<HeaderValue>,
    body: Bytes,
    /// The route the access log and the metrics show: the path itself.
    route: PathPattern,
}

impl Document {
    pub(crate) fn new(path: &'static str, content_type: &'static str, body: String) -> Self {
        Self {
            path,
            content_type: HeaderValue::from_static(content_type),
            content_security_policy: None,
            body: Bytes::from(body),
            route: PathPattern(Arc::from(path)),
        }
    }

    /// A page that loads scripts, styles or images needs a policy that allows them.
    pub(crate) fn with_content_security_policy(mut self, policy: &'static str) -> Self {
        self.content_security_policy = Some(HeaderValue::from_static(policy));
        self
    }

    pub(crate) fn path(&self) -> &'static str {
        self.path
    }

    /// `GET` gets the document, `HEAD` its headers; any other method a 405.
    fn serve(&self, method: &Method) -> poem::Result<Response> {
        if !(DOCUMENT_METHODS.contains(method) || method == Method::HEAD) {
            let mut refusal = poem::Error::from(MethodNotAllowedError);
            refusal.set_data(self.route.clone());
            return Err(refusal);
        }
        let mut response = Response::builder()
            .header(header::CONTENT_TYPE, self.content_type.clone())
            .body(self.body.clone());
        if let Some(policy) = &self.content_security_policy {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, policy.clone());
        }
        if method == Method::HEAD {
            response.set_body(());
        }
        response.set_data(self.route.clone());
        Ok(response)
    }
}

/// Hands each request the state its handlers read.
pub(crate) type ProvideState = Box<dyn Fn(&mut Request) + Send + Sync>;

/// The API with its documents in front (see the module documentation).
pub(crate) struct ApiEntry<E> {
    api: E,
    documents: Vec<Document>,
    provide_state: ProvideState,
}

impl<E> ApiEntry<E> {
    pub(crate) fn new(api: E, documents: Vec<Document>, provide_state: ProvideState) -> Self {
        Self {
            api,
            documents,
            provide_state,
        }
    }
}

impl<E: Endpoint> Endpoint for ApiEntry<E> {
    type Output = Response;

    async fn call(&self, mut request: Request) -> poem::Result<Response> {
        let path = request.uri().path();
        if let Some(document) = self.documents.iter().find(|document| document.path == path) {
            return document.serve(request.method());
        }
        (self.provide_state)(&mut request);
        self.api
            .call(request)
            .await
            .map(IntoResponse::into_response)
    }
}
