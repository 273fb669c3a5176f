//! The procedure table: every procedure once, whichever envelope calls it.
//!
//! A call takes three steps, and only the first differs between JSON-RPC and XML-RPC:
//!
//! ```text
//! envelope decode -> (Method, Params)           jsonrpc/ or xmlrpc/
//!                 -> Method::bind(Params)       positional or named, typed -> a Call (-32602 on mismatch)
//!                 -> run(Call, Store)           one small function per procedure: model validation,
//!                                               store (codes 1..4)
//!                 -> RpcValue                   -> envelope encode
//! ```
//!
//! [`dispatch`] takes the middle two steps for both envelopes.
//!
//! Named params (a JSON-RPC object) use the parameter names listed here; XML-RPC only
//! has positional params.

use std::collections::BTreeMap;

use model::{DummyData, DummyFields, DummyId, DummyPatch, ListQuery, NewDummy, Store};

use tracing::Instrument;

use crate::error::RpcError;
use crate::value::RpcValue;

/// Which envelope a call came in: introspection answers differ slightly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// JSON-RPC 2.0
    Json,
    /// XML-RPC
    Xml,
}

impl Envelope {
    /// The `rpc.system` of the call's log span.
    pub fn system(self) -> &'static str {
        match self {
            Envelope::Json => "jsonrpc",
            Envelope::Xml => "xmlrpc",
        }
    }
}

/// One parameter of a procedure.
#[derive(Debug)]
pub struct Param {
    /// Its name, for named params.
    pub name: &'static str,
    /// Its XML-RPC type name, for `system.methodSignature`.
    pub ty: &'static str,
    /// Whether it may be left out.
    pub optional: bool,
}

const fn req(name: &'static str, ty: &'static str) -> Param {
    Param {
        name,
        ty,
        optional: false,
    }
}

const fn opt(name: &'static str, ty: &'static str) -> Param {
    Param {
        name,
        ty,
        optional: true,
    }
}

/// Declares the procedures: variant, wire name, params, return type, help text.
macro_rules! procedures {
    ($($variant:ident => $name:literal ($($param:expr),*) -> $ret:literal, $help:literal;)+) => {
        /// Every procedure this service offers.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Method { $(#[doc = $help] $variant),+ }

        impl Method {
            /// All procedures, in the order `system.listMethods` reports them.
            pub const ALL: &'static [Method] = &[$(Method::$variant),+];

            /// The name on the wire.
            pub fn name(self) -> &'static str {
                match self { $(Method::$variant => $name),+ }
            }

            /// The parameters, in positional order.
            pub fn params(self) -> &'static [Param] {
                match self { $(Method::$variant => { const PARAMS: &[Param] = &[$($param),*]; PARAMS }),+ }
            }

            /// The XML-RPC type name of the result.
            pub fn returns(self) -> &'static str {
                match self { $(Method::$variant => $ret),+ }
            }

            /// What `system.methodHelp` says.
            pub fn help(self) -> &'static str {
                match self { $(Method::$variant => $help),+ }
            }
        }
    };
}

procedures! {
    Add => "add"(req("a", "int"), req("b", "int")) -> "int",
        "Adds two numbers. Two integers give an integer; if either is a double, the sum is a double.";
    Upper => "upper"(req("msg", "string")) -> "string",
        "Returns msg in upper case.";
    Reverse => "reverse"(req("msg", "string")) -> "string",
        "Returns msg reversed, character by character (Unicode scalar values).";
    Swap => "swap"(req("pairs", "struct")) -> "struct",
        "Swaps keys and values: {\"left\": \"right\"} becomes {\"right\": \"left\"}. Values must be scalars.";
    DummiesList => "dummies.list"(opt("ids", "array"), opt("after", "int"), opt("limit", "int")) -> "array",
        "Dummies in id order: only `ids` if given; else a page of `limit` (default 1000, at most 10000) rows with ids greater than `after`.";
    DummiesGet => "dummies.get"(req("id", "int")) -> "struct",
        "One Dummy by id. Fault 1 if there is none.";
    DummiesCreate => "dummies.create"(req("fields", "struct")) -> "struct",
        "Creates a Dummy from {day, weekday, month, year[, pre_seeded]}; returns it. Fault 2 with per-field messages if a value breaks a rule.";
    DummiesUpdate => "dummies.update"(req("id", "int"), req("fields", "struct")) -> "struct",
        "Full update: day, weekday, month and year are all required. Returns the Dummy.";
    DummiesPatch => "dummies.patch"(req("id", "int"), req("fields", "struct")) -> "struct",
        "Partial update: any subset of day, weekday, month, year. Returns the Dummy.";
    DummiesDelete => "dummies.delete"(req("id", "int")) -> "boolean",
        "Deletes one Dummy; returns true. Fault 1 if there is none.";
    DummiesCount => "dummies.count"() -> "int",
        "How many Dummies there are.";
    ListMethods => "system.listMethods"() -> "array",
        "The names of every procedure.";
    MethodHelp => "system.methodHelp"(req("name", "string")) -> "string",
        "What a procedure does.";
    MethodSignature => "system.methodSignature"(req("name", "string")) -> "array",
        "A procedure's signatures: lists of type names, the result's type first.";
    Multicall => "system.multicall"(req("calls", "array")) -> "array",
        "XML-RPC only: runs [{methodName, params}, ...] and returns [[result] or {faultCode, faultString}, ...].";
}

impl Method {
    /// Finds a procedure by wire name, among those this envelope offers.
    pub fn find(name: &str, envelope: Envelope) -> Option<Method> {
        Method::ALL
            .iter()
            .copied()
            .find(|m| m.name() == name && m.offered_on(envelope))
    }

    /// `system.multicall` exists only in XML-RPC: JSON-RPC has batches instead.
    pub fn offered_on(self, envelope: Envelope) -> bool {
        self != Method::Multicall || envelope == Envelope::Xml
    }

    /// Every signature (one per number of arguments the procedure accepts),
    /// as XML-RPC introspection spells them: result type first.
    pub fn signatures(self) -> Vec<Vec<&'static str>> {
        let params = self.params();
        let required = params.iter().filter(|p| !p.optional).count();
        (required..=params.len())
            .map(|n| {
                std::iter::once(self.returns())
                    .chain(params[..n].iter().map(|p| p.ty))
                    .collect()
            })
            .collect()
    }

    /// Matches params to this procedure's parameters and checks their types: the
    /// typed [`Call`].
    ///
    /// # Errors
    /// -32602 for too few or too many positional params, a missing required or an
    /// unknown named param, or a param of the wrong type (checked in the order of
    /// [`Method::params`]).
    pub fn bind(self, params: Params) -> Result<Call, RpcError> {
        self.slots(params)?.into_call()
    }

    /// One slot per parameter, `None` for an omitted optional.
    fn slots(self, params: Params) -> Result<Args, RpcError> {
        let spec = self.params();
        let required = spec.iter().filter(|p| !p.optional).count();
        let slots = match params {
            Params::Positional(values) => {
                if values.len() < required || values.len() > spec.len() {
                    let expected = if required == spec.len() {
                        format!("{required}")
                    } else {
                        format!("{required} to {}", spec.len())
                    };
                    return Err(RpcError::invalid_params(format!(
                        "{} takes {expected} params, got {}",
                        self.name(),
                        values.len()
                    )));
                }
                let mut slots: Vec<Option<RpcValue>> = values.into_iter().map(Some).collect();
                slots.resize(spec.len(), None);
                slots
            }
            Params::Named(mut members) => {
                let slots: Vec<Option<RpcValue>> =
                    spec.iter().map(|p| members.remove(p.name)).collect();
                if let Some(unknown) = members.keys().next() {
                    return Err(RpcError::invalid_params(format!(
                        "{} has no param {unknown:?}",
                        self.name()
                    )));
                }
                slots
            }
        };
        // A nil in an optional slot means "not given".
        let slots: Vec<Option<RpcValue>> = slots
            .into_iter()
            .zip(spec)
            .map(|(v, p)| {
                if p.optional && v == Some(RpcValue::Nil) {
                    None
                } else {
                    v
                }
            })
            .collect();
        if let Some(missing) = spec
            .iter()
            .zip(&slots)
            .find(|(p, v)| !p.optional && v.is_none())
        {
            return Err(RpcError::invalid_params(format!(
                "{} needs param {:?}",
                self.name(),
                missing.0.name
            )));
        }
        Ok(Args {
            method: self,
            slots,
        })
    }
}

/// Params as they arrived.
#[derive(Debug, Clone, PartialEq)]
pub enum Params {
    /// A list, matched by position (JSON array, XML-RPC `<params>`).
    Positional(Vec<RpcValue>),
    /// A map, matched by name (JSON object).
    Named(BTreeMap<String, RpcValue>),
}

/// Params matched to a procedure's parameters: one slot each, `None` for an omitted
/// optional, not yet typed.
#[derive(Debug)]
struct Args {
    method: Method,
    slots: Vec<Option<RpcValue>>,
}

/// A number, for `add`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer (`i4`, `int`, `i8`; a JSON integer).
    Int(i64),
    /// A double (a JSON number with a fraction or exponent).
    Double(f64),
}

/// A procedure with its arguments, typed: what [`Method::bind`] makes of params.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum Call {
    Add {
        a: Number,
        b: Number,
    },
    Upper {
        msg: String,
    },
    Reverse {
        msg: String,
    },
    Swap {
        pairs: BTreeMap<String, RpcValue>,
    },
    DummiesList {
        ids: Option<Vec<DummyId>>,
        after: Option<DummyId>,
        limit: Option<i64>,
    },
    DummiesGet {
        id: DummyId,
    },
    DummiesCreate {
        fields: DummyFields,
    },
    DummiesUpdate {
        id: DummyId,
        fields: DummyFields,
    },
    DummiesPatch {
        id: DummyId,
        fields: DummyFields,
    },
    DummiesDelete {
        id: DummyId,
    },
    DummiesCount,
    ListMethods,
    MethodHelp {
        name: String,
    },
    MethodSignature {
        name: String,
    },
    /// Only as one of its own calls: `system.multicall` is the XML-RPC envelope's.
    Multicall,
}

impl Args {
    /// The typed call; each slot is checked in the order of the parameters.
    fn into_call(mut self) -> Result<Call, RpcError> {
        Ok(match self.method {
            Method::Add => Call::Add {
                a: self.number(0)?,
                b: self.number(1)?,
            },
            Method::Upper => Call::Upper {
                msg: self.string(0)?,
            },
            Method::Reverse => Call::Reverse {
                msg: self.string(0)?,
            },
            Method::Swap => Call::Swap {
                pairs: self.members(0)?,
            },
            Method::DummiesList => {
                let ids = self.ids(0)?;
                let limit = self.int(2)?;
                Call::DummiesList {
                    ids,
                    after: self.int(1)?.map(DummyId),
                    limit,
                }
            }
            Method::DummiesGet => Call::DummiesGet { id: self.id(0)? },
            Method::DummiesCreate => Call::DummiesCreate {
                fields: self.fields(0)?,
            },
            Method::DummiesUpdate => Call::DummiesUpdate {
                id: self.id(0)?,
                fields: self.fields(1)?,
            },
            Method::DummiesPatch => Call::DummiesPatch {
                id: self.id(0)?,
                fields: self.fields(1)?,
            },
            Method::DummiesDelete => Call::DummiesDelete { id: self.id(0)? },
            Method::DummiesCount => Call::DummiesCount,
            Method::ListMethods => Call::ListMethods,
            Method::MethodHelp => Call::MethodHelp {
                name: self.string(0)?,
            },
            Method::MethodSignature => Call::MethodSignature {
                name: self.string(0)?,
            },
            Method::Multicall => Call::Multicall,
        })
    }

    fn wrong_type(&self, i: usize, expected: &str, got: &RpcValue) -> RpcError {
        RpcError::invalid_params(format!(
            "{}: param {:?} must be {expected}, got {}",
            self.method.name(),
            self.method.params()[i].name,
            got.type_name()
        ))
    }

    /// The value in slot `i`, which `bind` checked is there unless optional.
    fn take(&mut self, i: usize) -> Option<RpcValue> {
        self.slots.get_mut(i).and_then(Option::take)
    }

    fn required(&mut self, i: usize) -> RpcValue {
        self.take(i).expect("bind checked required params")
    }

    fn int(&mut self, i: usize) -> Result<Option<i64>, RpcError> {
        match self.take(i) {
            None => Ok(None),
            Some(RpcValue::Int(n)) => Ok(Some(n)),
            Some(other) => Err(self.wrong_type(i, "an int", &other)),
        }
    }

    fn id(&mut self, i: usize) -> Result<DummyId, RpcError> {
        match self.required(i) {
            RpcValue::Int(n) => Ok(DummyId(n)),
            other => Err(self.wrong_type(i, "an int", &other)),
        }
    }

    fn ids(&mut self, i: usize) -> Result<Option<Vec<DummyId>>, RpcError> {
        match self.take(i) {
            None => Ok(None),
            Some(RpcValue::Array(items)) => items
                .into_iter()
                .map(|item| match item {
                    RpcValue::Int(id) => Ok(DummyId(id)),
                    other => Err(self.wrong_type(i, "an array of ints", &other)),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(self.wrong_type(i, "an array", &other)),
        }
    }

    fn string(&mut self, i: usize) -> Result<String, RpcError> {
        match self.required(i) {
            RpcValue::String(s) => Ok(s),
            other => Err(self.wrong_type(i, "a string", &other)),
        }
    }

    fn members(&mut self, i: usize) -> Result<BTreeMap<String, RpcValue>, RpcError> {
        match self.required(i) {
            RpcValue::Struct(members) => Ok(members),
            other => Err(self.wrong_type(i, "a struct", &other)),
        }
    }

    /// A struct of Dummy fields; unknown keys are ignored, as in the REST API.
    fn fields(&mut self, i: usize) -> Result<DummyFields, RpcError> {
        let mut fields = DummyFields::default();
        for (key, value) in &self.members(i)? {
            fields.set(key, value.to_model());
        }
        Ok(fields)
    }

    fn number(&mut self, i: usize) -> Result<Number, RpcError> {
        match self.required(i) {
            RpcValue::Int(n) => Ok(Number::Int(n)),
            RpcValue::Double(f) => Ok(Number::Double(f)),
            other => Err(self.wrong_type(i, "a number", &other)),
        }
    }
}

/// Binds `params` to `method` and runs it: the one way either envelope calls a
/// procedure, in a span that names the system and the method. `system.multicall` is
/// the XML-RPC envelope's own.
///
/// # Errors
/// -32602 when the params do not fit, and the procedure's own errors.
pub async fn dispatch(
    method: Method,
    params: Params,
    store: &Store,
    envelope: Envelope,
) -> Result<RpcValue, RpcError> {
    let span = tracing::info_span!(
        "rpc",
        rpc.system = envelope.system(),
        rpc.method = method.name()
    );
    async move { run(method.bind(params)?, store, envelope).await }
        .instrument(span)
        .await
}

/// Runs one typed call.
///
/// # Errors
/// The model's errors mapped by [`RpcError::from`], and those of each procedure.
pub async fn run(call: Call, store: &Store, envelope: Envelope) -> Result<RpcValue, RpcError> {
    match call {
        Call::Add { a, b } => add(a, b),
        Call::Upper { msg } => Ok(RpcValue::String(msg.to_uppercase())),
        Call::Reverse { msg } => Ok(RpcValue::String(msg.chars().rev().collect())),
        Call::Swap { pairs } => swap(&pairs),
        Call::DummiesList { ids, after, limit } => list(store, ids, after, limit).await,
        Call::DummiesGet { id } => Ok(store.get(id).await?.into()),
        Call::DummiesCreate { fields } => Ok(store.create(NewDummy::parse(&fields)?).await?.into()),
        Call::DummiesUpdate { id, fields } => {
            Ok(store.replace(id, DummyData::parse(&fields)?).await?.into())
        }
        Call::DummiesPatch { id, fields } => {
            Ok(store.patch(id, DummyPatch::parse(&fields)?).await?.into())
        }
        Call::DummiesDelete { id } => {
            store.delete(id).await?;
            Ok(RpcValue::Bool(true))
        }
        Call::DummiesCount => Ok(RpcValue::Int(store.count().await?)),
        Call::ListMethods => Ok(list_methods(envelope)),
        Call::MethodHelp { name } => Ok(RpcValue::String(
            introspected(&name, envelope)?.help().to_owned(),
        )),
        Call::MethodSignature { name } => Ok(signatures(introspected(&name, envelope)?)),
        Call::Multicall => Err(RpcError::invalid_request(
            "system.multicall cannot be nested",
        )),
    }
}

/// `dummies.list`: the rows of `ids`, or a page after `after`.
async fn list(
    store: &Store,
    ids: Option<Vec<DummyId>>,
    after: Option<DummyId>,
    limit: Option<i64>,
) -> Result<RpcValue, RpcError> {
    let default_limit = if ids.is_some() {
        model::store::MAX_PAGE
    } else {
        1000
    };
    let query = ListQuery {
        limit: Some(limit.unwrap_or(default_limit)),
        after,
        ids,
        offset: None,
    };
    let rows = store.list(query).await?;
    Ok(RpcValue::Array(
        rows.into_iter().map(RpcValue::from).collect(),
    ))
}

/// `system.listMethods`: the names this envelope offers.
fn list_methods(envelope: Envelope) -> RpcValue {
    RpcValue::Array(
        Method::ALL
            .iter()
            .filter(|m| m.offered_on(envelope))
            .map(|m| RpcValue::String(m.name().to_owned()))
            .collect(),
    )
}

/// `system.methodSignature`: each signature as an array of type names.
fn signatures(method: Method) -> RpcValue {
    RpcValue::Array(
        method
            .signatures()
            .into_iter()
            .map(|sig| {
                RpcValue::Array(
                    sig.into_iter()
                        .map(|t| RpcValue::String(t.to_owned()))
                        .collect(),
                )
            })
            .collect(),
    )
}

/// The procedure named by `system.methodHelp`/`methodSignature`'s argument.
fn introspected(name: &str, envelope: Envelope) -> Result<Method, RpcError> {
    Method::find(name, envelope)
        .ok_or_else(|| RpcError::invalid_params(format!("no procedure named {name:?}")))
}

fn add(a: Number, b: Number) -> Result<RpcValue, RpcError> {
    match (a, b) {
        (Number::Int(a), Number::Int(b)) => a
            .checked_add(b)
            .map(RpcValue::Int)
            .ok_or_else(|| RpcError::invalid_params("add: the sum does not fit a 64-bit integer")),
        _ => Ok(RpcValue::Double(a.as_f64() + b.as_f64())),
    }
}

impl Number {
    fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Double(f) => f,
        }
    }
}

fn swap(members: &BTreeMap<String, RpcValue>) -> Result<RpcValue, RpcError> {
    let mut swapped = BTreeMap::new();
    for (key, value) in members {
        let new_key = match value {
            RpcValue::String(s) => s.clone(),
            RpcValue::Int(i) => i.to_string(),
            RpcValue::Double(f) => f.to_string(),
            RpcValue::Bool(b) => b.to_string(),
            other => {
                return Err(RpcError::invalid_params(format!(
                    "swap: the value of {key:?} is a {}; only scalars can become keys",
                    other.type_name()
                )));
            }
        };
        swapped.insert(new_key, RpcValue::String(key.clone()));
    }
    Ok(RpcValue::Struct(swapped))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn positional(values: Vec<RpcValue>) -> Params {
        Params::Positional(values)
    }

    #[test]
    fn names_are_unique_and_found_per_envelope() {
        let mut names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Method::ALL.len());
        assert_eq!(
            Method::find("dummies.get", Envelope::Json),
            Some(Method::DummiesGet)
        );
        assert_eq!(Method::find("system.multicall", Envelope::Json), None);
        assert_eq!(
            Method::find("system.multicall", Envelope::Xml),
            Some(Method::Multicall)
        );
    }

    #[test]
    fn binding_checks_arity_and_names() {
        assert!(
            Method::Add
                .bind(positional(vec![RpcValue::Int(1)]))
                .is_err()
        );
        assert!(
            Method::Add
                .bind(positional(vec![RpcValue::Int(1); 3]))
                .is_err()
        );
        let named: BTreeMap<String, RpcValue> = [
            ("b".to_owned(), RpcValue::Int(2)),
            ("a".to_owned(), RpcValue::Int(1)),
        ]
        .into();
        assert_eq!(
            Method::Add.bind(Params::Named(named)).unwrap(),
            Call::Add {
                a: Number::Int(1),
                b: Number::Int(2)
            }
        );
        assert_eq!(
            Method::Add
                .bind(positional(vec![RpcValue::Int(1), RpcValue::Bool(true)]))
                .unwrap_err()
                .message,
            "Invalid params: add: param \"b\" must be a number, got boolean"
        );
        let unknown: BTreeMap<String, RpcValue> = [("c".to_owned(), RpcValue::Int(2))].into();
        assert_eq!(
            Method::Add.bind(Params::Named(unknown)).unwrap_err().code,
            crate::error::INVALID_PARAMS
        );
        assert!(Method::DummiesList.bind(positional(vec![])).is_ok());
    }

    #[test]
    fn add_keeps_integers_and_promotes_doubles() {
        assert_eq!(add(Number::Int(2), Number::Int(3)), Ok(RpcValue::Int(5)));
        assert_eq!(
            add(Number::Int(2), Number::Double(0.5)),
            Ok(RpcValue::Double(2.5))
        );
        assert!(add(Number::Int(i64::MAX), Number::Int(1)).is_err());
    }

    #[test]
    fn swap_turns_values_into_keys() {
        let input: BTreeMap<String, RpcValue> =
            [("left".to_owned(), RpcValue::String("right".into()))].into();
        let expected: BTreeMap<String, RpcValue> =
            [("right".to_owned(), RpcValue::String("left".into()))].into();
        assert_eq!(swap(&input), Ok(RpcValue::Struct(expected)));
        let nested: BTreeMap<String, RpcValue> = [("k".to_owned(), RpcValue::Array(vec![]))].into();
        assert!(swap(&nested).is_err());
    }

    #[test]
    fn signatures_list_one_entry_per_accepted_arity() {
        assert_eq!(Method::Add.signatures(), vec![vec!["int", "int", "int"]]);
        assert_eq!(Method::DummiesList.signatures().len(), 4);
        assert_eq!(Method::DummiesCount.signatures(), vec![vec!["int"]]);
    }
}
