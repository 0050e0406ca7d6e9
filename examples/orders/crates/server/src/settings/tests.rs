// figment's error type is large, and `Jail` closures return it.
#![allow(clippy::result_large_err)]

use super::*;

fn extract(jail: &figment::Jail, profile: Profile) -> Result<Settings, figment::Error> {
    Settings::figment(&jail.directory().join("config"), profile).extract()
}

#[test]
fn files_then_environment_win_over_defaults() {
    figment::Jail::expect_with(|jail| {
        jail.create_dir("config")?;
        jail.create_file("config/default.toml", "[http]\nport = 7000\n")?;
        jail.create_file("config/test.toml", "[database]\nmax_connections = 3\n")?;
        jail.set_env("APP_HTTP__PORT", "9000");
        jail.set_env("DATABASE_URL", "postgres://db/app");
        let settings = extract(jail, Profile::Test)?;
        assert_eq!(settings.http.port, 9000);
        assert_eq!(settings.database.max_connections, 3);
        assert_eq!(settings.database.url.expose(), "postgres://db/app");
        // Untouched keys keep their defaults.
        assert_eq!(
            settings.http.request_timeout,
            HttpSettings::default().request_timeout
        );
        Ok(())
    });
}

#[test]
fn unknown_keys_and_bad_values_name_the_key_and_the_source() {
    figment::Jail::expect_with(|jail| {
        jail.create_dir("config")?;
        jail.create_file("config/development.toml", "")?;
        jail.create_file("config/default.toml", "[http]\nprot = 1\n")?;
        let err = extract(jail, Profile::Development).unwrap_err().to_string();
        assert!(
            err.contains("prot") && err.contains("default.toml"),
            "{err}"
        );

        jail.create_file("config/default.toml", "[http]\nport = \"eighty\"\n")?;
        let err = extract(jail, Profile::Development).unwrap_err().to_string();
        assert!(
            err.contains("http.port") && err.contains("default.toml"),
            "{err}"
        );

        jail.create_file("config/default.toml", "")?;
        jail.set_env("APP_HTTP__PORT", "70000");
        let err = extract(jail, Profile::Development).unwrap_err().to_string();
        assert!(err.contains("\"APP_HTTP__PORT\" in environment"), "{err}");
        assert!(err.contains("70000"), "the bad value is shown: {err}");
        Ok(())
    });
}

#[test]
fn an_unknown_environment_key_is_refused() {
    figment::Jail::expect_with(|jail| {
        jail.create_dir("config")?;
        jail.create_file("config/default.toml", "")?;
        jail.create_file("config/development.toml", "")?;
        jail.set_env("APP_HTTP__PROT", "9000");
        let err = extract(jail, Profile::Development).unwrap_err().to_string();
        assert!(err.contains("prot"), "{err}");
        Ok(())
    });
}

#[test]
fn the_report_names_each_source_and_redacts_secrets() {
    figment::Jail::expect_with(|jail| {
        jail.create_dir("config")?;
        jail.create_file("config/default.toml", "[http]\nport = 7000\n")?;
        jail.create_file("config/test.toml", "[telemetry]\nlog_format = \"json\"\n")?;
        jail.set_env("APP_DATABASE__MAX_CONNECTIONS", "4");
        jail.set_env("DATABASE_URL", "postgres://app:fake-hunter2@db:5432/orders");
        jail.set_env(
            "APP_AUTH__JWT_SECRET",
            "a-jwt-secret-that-must-never-be-printed",
        );
        let figment = Settings::figment(&jail.directory().join("config"), Profile::Test);
        let settings: Settings = figment.extract()?;
        let report = ConfigReport::new(&settings, &figment).expect("the report builds");

        assert_eq!(report.source("http.port"), Some("config/default.toml"));
        assert_eq!(report.value("http.port"), Some("7000"));
        assert_eq!(
            report.source("telemetry.log_format"),
            Some("config/test.toml")
        );
        assert_eq!(
            report.source("database.max_connections"),
            Some("APP_DATABASE__MAX_CONNECTIONS (environment)")
        );
        assert_eq!(
            report.source("database.url"),
            Some("DATABASE_URL (environment)")
        );
        assert_eq!(
            report.value("database.url"),
            Some("\"postgres://app:[redacted]@db:5432/orders\"")
        );
        assert_eq!(report.source("http.request_timeout"), Some("default"));
        assert_eq!(report.value("http.request_timeout"), Some("\"30s\""));
        assert_eq!(
            report.source("auth.jwt_secret"),
            Some("APP_AUTH__JWT_SECRET (environment)")
        );
        assert_eq!(report.value("auth.jwt_secret"), Some("\"[redacted]\""));

        let printed = report.to_string();
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(!printed.contains("never-be-printed"), "{printed}");
        assert!(
            printed.contains("# telemetry.otlp_endpoint (not set)"),
            "{printed}"
        );
        // Every line but the unset ones is `key = value`, valid TOML.
        let toml_lines: String = printed
            .lines()
            .filter(|line| !line.starts_with('#'))
            .map(|line| format!("{}\n", line.split("  #").next().unwrap_or_default()))
            .collect();
        let parsed: Result<toml::Table, _> = toml_lines.parse();
        assert!(parsed.is_ok(), "{toml_lines}: {parsed:?}");
        Ok(())
    });
}

#[test]
fn validation_lists_every_problem() {
    let mut settings = Settings::default();
    settings.database.url = DatabaseUrl::new("mysql://app:fake-hunter2@db/x");
    settings.database.max_connections = 0;
    settings.telemetry.trace_sample_ratio = 1.5;
    settings.telemetry.otlp_endpoint = Some("otel-collector:4317".to_owned());
    let err = settings
        .validate(Profile::Development)
        .unwrap_err()
        .to_string();
    for key in [
        "database.url",
        "database.max_connections",
        "telemetry.trace_sample_ratio",
        "telemetry.otlp_endpoint",
    ] {
        assert!(err.contains(key), "{key}: {err}");
    }
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn production_refuses_the_development_secret() {
    let mut settings = Settings::default();
    settings.auth.jwt_secret = SecretString::from(DEVELOPMENT_JWT_SECRET);
    assert!(settings.validate(Profile::Development).is_ok());
    let err = settings
        .validate(Profile::Production)
        .unwrap_err()
        .to_string();
    assert!(err.contains("auth.jwt_secret"), "{err}");
}

#[test]
fn production_refuses_weak_and_committed_secrets_naming_the_key() {
    for weak in [
        "a".repeat(32),
        TEST_PROFILE_JWT_SECRET.to_owned(),
        "ab".repeat(20),
    ] {
        let mut settings = production_ready();
        settings.auth.jwt_secret = SecretString::from(weak.as_str());
        let err = settings
            .validate(Profile::Production)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("auth.jwt_secret") && err.contains("APP_AUTH__JWT_SECRET"),
            "{weak}: {err}"
        );
        assert!(
            !err.contains(&weak),
            "the secret itself is never printed: {err}"
        );
    }
    assert!(production_ready().validate(Profile::Production).is_ok());
}

#[test]
fn a_refused_secret_names_its_source() {
    figment::Jail::expect_with(|jail| {
        jail.create_dir("config")?;
        jail.create_file("config/default.toml", "")?;
        jail.create_file("config/production.toml", "")?;
        jail.set_env("APP_CONFIG_DIR", jail.directory().join("config").display());
        jail.set_env("APP_PROFILE", "production");
        jail.set_env("APP_AUTH__JWT_SECRET", "a".repeat(32));
        let err = format!("{:#}", Settings::load().unwrap_err());
        assert!(
            err.contains("auth.jwt_secret (from APP_AUTH__JWT_SECRET (environment))"),
            "{err}"
        );
        Ok(())
    });
}

#[test]
fn every_profile_requires_a_jwt_secret() {
    let err = Settings::default()
        .validate(Profile::Test)
        .unwrap_err()
        .to_string();
    assert!(err.contains("APP_AUTH__JWT_SECRET"), "{err}");
}

/// The defaults plus what has no usable default.
fn valid() -> Settings {
    let mut settings = Settings::default();
    settings.auth.jwt_secret = SecretString::from("a-test-secret-that-is-long-enough-0123");
    settings
}

/// Valid in production: a strong secret, and a payment gateway that charges.
fn production_ready() -> Settings {
    let mut settings = valid();
    settings.auth.jwt_secret = SecretString::from(test_support::random_looking_secret(
        48,
        test_support::BASE64_ALPHABET,
    ));
    settings.payments.mode = PaymentsMode::Http;
    settings.payments.url = Some("https://payments.example.com/v1/charges".to_owned());
    settings.database.migrate_on_start = false;
    settings
}

#[test]
fn production_refuses_the_in_process_gateway_unless_allowed() {
    let mut settings = production_ready();
    settings.payments.mode = PaymentsMode::InProcess;
    assert!(settings.validate(Profile::Development).is_ok());
    let err = settings
        .validate(Profile::Production)
        .unwrap_err()
        .to_string();
    assert!(err.contains("payments.allow_in_process"), "{err}");
    settings.payments.allow_in_process = true;
    let warnings = settings
        .validate(Profile::Production)
        .expect("allowed explicitly");
    assert!(
        warnings
            .iter()
            .any(|warning| warning.contains("payments.mode")),
        "the allowance is still a warning: {warnings:?}"
    );
}

#[test]
fn doubtful_production_values_are_warnings_returned_for_the_log() {
    let mut settings = production_ready();
    assert_eq!(
        settings.validate(Profile::Production).unwrap(),
        Vec::<String>::new()
    );
    settings.database.migrate_on_start = true;
    let warnings = settings.validate(Profile::Production).unwrap();
    assert!(
        warnings
            .iter()
            .any(|warning| warning.contains("database.migrate_on_start")),
        "{warnings:?}"
    );
}

#[test]
fn cors_origins_must_be_origins() {
    let mut settings = valid();
    settings.http.cors_allowed_origins = vec![
        "https://app.example.com".to_owned(),
        "http://localhost:3000".to_owned(),
    ];
    assert!(settings.validate(Profile::Development).is_ok());
    for bad in [
        "*",
        "app.example.com",
        "https://app.example.com/path",
        "ftp://x",
    ] {
        settings.http.cors_allowed_origins = vec![bad.to_owned()];
        let err = settings
            .validate(Profile::Development)
            .unwrap_err()
            .to_string();
        assert!(err.contains("http.cors_allowed_origins"), "{bad}: {err}");
    }
}

#[test]
fn an_unknown_profile_is_refused_with_its_variable() {
    let err = Profile::from_env_value(Some("prod"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("APP_PROFILE"), "{err}");
}
