//! `traceport token …` and `traceport user …`: accounts for operators at the console
//! (the same operations as the API, run straight on the store).

use registry::accounts::{AccountRole, Binding};
use registry::Scope;
use server::auth;
use store::Backend;

use crate::cli::{BindingArgs, OrgArgs, RoleArg, TokenCommand, UserCommand};
use crate::error::CliError;

/// The account binding the flags describe, checked against the registry.
fn binding(store: &dyn Backend, args: &BindingArgs) -> Result<Binding, CliError> {
    let role = match args.role {
        RoleArg::Member => AccountRole::Member,
        RoleArg::Admin => AccountRole::Admin,
        RoleArg::ProvincialOfficial => AccountRole::ProvincialOfficial,
        RoleArg::NationalOfficial => AccountRole::NationalOfficial,
        RoleArg::Operator => AccountRole::Operator,
    };
    let binding = Binding {
        role,
        org: args.org.clone(),
        province: args.province.clone(),
    };
    binding.check().map_err(CliError::Usage)?;
    if let Some(p) = &binding.province {
        if !registry::admin::is_current_province(p) {
            return Err(CliError::Usage(format!(
                "{p:?} is not one of the 34 provinces in force since 2025-07-01"
            )));
        }
    }
    if let Some(org) = &binding.org {
        if store.organisation(org)?.is_none() {
            return Err(CliError::Usage(format!(
                "no registered organisation {org} (the demo ones exist after `traceport demo`)"
            )));
        }
    }
    Ok(binding)
}

/// Runs a `token` subcommand.
pub fn token(store: &dyn Backend, cmd: &TokenCommand) -> Result<(), CliError> {
    match cmd {
        TokenCommand::Create {
            binding: args,
            scopes,
            name,
            expires_days,
        } => {
            let binding = binding(store, args)?;
            let scopes = scopes
                .split(',')
                .map(|s| {
                    Scope::parse(s.trim()).ok_or_else(|| {
                        CliError::Usage(format!("unknown scope {s:?} (read, capture, registry)"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let expires = expires_days.map(|d| auth::now_ms() + i64::from(d) * 86_400_000);
            let issued = auth::issue_token(store, name, binding, scopes, "cli", expires)?;
            eprintln!(
                "token {} created; its secret is shown only now:",
                issued.token.id
            );
            println!("{}", issued.secret);
            Ok(())
        }
        TokenCommand::List { org } => {
            for t in store.tokens(org.as_deref())? {
                let state = t.unusable(auth::now_ms()).unwrap_or("usable");
                let scopes: Vec<&str> = t.scopes.iter().map(|s| s.as_str()).collect();
                println!(
                    "{}\t{}\t{}\t{}\t{}\tlast use {}",
                    t.id,
                    t.name,
                    t.binding.role.as_str(),
                    scopes.join(","),
                    state,
                    t.last_used_ms.map_or("never".into(), |ms| ms.to_string())
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            store.revoke_token(id, auth::now_ms())?;
            println!("token {id} revoked");
            Ok(())
        }
    }
}

/// Runs a `user` subcommand.
pub fn user(store: &dyn Backend, cmd: &UserCommand) -> Result<(), CliError> {
    match cmd {
        UserCommand::Create {
            name,
            binding: args,
        } => {
            let binding = binding(store, args)?;
            let password = auth::random_password();
            auth::create_user(store, name, &password, binding)?;
            println!("user {name} created; password (shown only now): {password}");
            Ok(())
        }
        UserCommand::ResetPassword { name } => {
            let password = auth::random_password();
            let hash = auth::hash_password(&password).map_err(CliError::Usage)?;
            store.set_password(name, &hash)?;
            println!("new password for {name} (shown only now): {password}");
            Ok(())
        }
    }
}

/// `traceport org`: registers a verified organisation, checked like a registration through
/// the API (tax code, prefixes, province), and prints its id.
pub fn org(store: &dyn Backend, args: &OrgArgs) -> Result<(), CliError> {
    let details = registry::NewOrganisation {
        id: args.id.clone(),
        name_vi: args.name.clone(),
        name_en: args.name_en.clone().unwrap_or_else(|| args.name.clone()),
        tax_code: args.tax_code.clone(),
        company_prefixes: args.prefixes.clone(),
        glns: vec![],
        address: String::new(),
        province_code: args.province.clone(),
        country: "VN".into(),
        roles: vec![],
    };
    registry::validate::check_organisation(&details, registry::admin::is_current_province)
        .map_err(|e| CliError::Usage(format!("--{}: {}", e.field, e.message)))?;
    let now = chrono::Utc::now().timestamp_millis();
    let organisation = registry::Organisation {
        details,
        verification: registry::Verification::Verified {
            by: "console".into(),
            at_ms: now,
        },
        suspension: None,
        created_ms: now,
    };
    store.create_organisation(&organisation)?;
    println!("{}", args.id);
    Ok(())
}
