//! The procedure table: every procedure once, whichever envelope calls it.
//!
//! A call takes three steps, and only the first differs between JSON-RPC and XML-RPC:
//!
//! ```text
//! envelope decode -> (Method, Params)          jsonrpc/ or xmlrpc/
//!                 -> Method::bind(Params)      positional or named -> one slot per parameter (-32602 on mismatch)
//!                 -> call(Method, Args, Store) typed arguments, model validation, store   (codes 1..4)
//!                 -> RpcValue                  -> envelope encode
//! ```
//!
//! Named params (a JSON-RPC object) use the parameter names listed here; XML-RPC only
//! has positional params.

use std::collections::BTreeMap;

use model::{DummyData, DummyFields, DummyId, DummyPatch, ListQuery, NewDummy, Store};

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

    /// Matches params to this procedure's parameters.
    ///
    /// # Errors
    /// -32602 for too few or too many positional params, a missing required or an
    /// unknown named param.
    pub fn bind(self, params: Params) -> Result<Args, RpcError> {
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

/// Params matched to a procedure's parameters: one slot each, `None` for an omitted optional.
#[derive(Debug)]
pub struct Args {
    method: Method,
    slots: Vec<Option<RpcValue>>,
}

impl Args {
    fn slot(&self, i: usize) -> Option<&RpcValue> {
        self.slots.get(i).and_then(Option::as_ref)
    }

    fn name(&self, i: usize) -> &'static str {
        self.method.params()[i].name
    }

    fn wrong_type(&self, i: usize, expected: &str, got: &RpcValue) -> RpcError {
        RpcError::invalid_params(format!(
            "{}: param {:?} must be {expected}, got {}",
            self.method.name(),
            self.name(i),
            got.type_name()
        ))
    }

    fn int(&self, i: usize) -> Result<Option<i64>, RpcError> {
        match self.slot(i) {
            None => Ok(None),
            Some(RpcValue::Int(n)) => Ok(Some(*n)),
            Some(other) => Err(self.wrong_type(i, "an int", other)),
        }
    }

    fn required_int(&self, i: usize) -> Result<i64, RpcError> {
        Ok(self.int(i)?.expect("bind checked required params"))
    }

    fn id(&self, i: usize) -> Result<DummyId, RpcError> {
        self.required_int(i).map(DummyId)
    }

    fn string(&self, i: usize) -> Result<&str, RpcError> {
        match self.slot(i) {
            Some(RpcValue::String(s)) => Ok(s),
            Some(other) => Err(self.wrong_type(i, "a string", other)),
            None => unreachable!("bind checked required params"),
        }
    }

    fn members(&self, i: usize) -> Result<&BTreeMap<String, RpcValue>, RpcError> {
        match self.slot(i) {
            Some(RpcValue::Struct(members)) => Ok(members),
            Some(other) => Err(self.wrong_type(i, "a struct", other)),
            None => unreachable!("bind checked required params"),
        }
    }

    /// A struct of Dummy fields; unknown keys are ignored, as in the REST API.
    fn fields(&self, i: usize) -> Result<DummyFields, RpcError> {
        let mut fields = DummyFields::default();
        for (key, value) in self.members(i)? {
            fields.set(key, value.to_model());
        }
        Ok(fields)
    }

    fn number(&self, i: usize) -> Result<&RpcValue, RpcError> {
        match self.slot(i) {
            Some(v @ (RpcValue::Int(_) | RpcValue::Double(_))) => Ok(v),
            Some(other) => Err(self.wrong_type(i, "a number", other)),
            None => unreachable!("bind checked required params"),
        }
    }
}

/// Runs one procedure. `system.multicall` is the envelope's job, not this function's.
///
/// # Errors
/// -32602 when an argument has the wrong type, and the model's errors mapped by
/// [`RpcError::from`].
pub async fn call(args: Args, store: &Store, envelope: Envelope) -> Result<RpcValue, RpcError> {
    match args.method {
        Method::Add => add(args.number(0)?, args.number(1)?),
        Method::Upper => Ok(RpcValue::String(args.string(0)?.to_uppercase())),
        Method::Reverse => Ok(RpcValue::String(args.string(0)?.chars().rev().collect())),
        Method::Swap => swap(args.members(0)?),
        Method::DummiesList => {
            let ids = match args.slot(0) {
                None => None,
                Some(RpcValue::Array(items)) => Some(
                    items
                        .iter()
                        .map(|item| match item {
                            RpcValue::Int(id) => Ok(DummyId(*id)),
                            other => Err(args.wrong_type(0, "an array of ints", other)),
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                Some(other) => return Err(args.wrong_type(0, "an array", other)),
            };
            let query = ListQuery {
                limit: Some(args.int(2)?.unwrap_or(if ids.is_some() {
                    model::store::MAX_PAGE
                } else {
                    1000
                })),
                after: args.int(1)?.map(DummyId),
                ids,
                offset: None,
            };
            let rows = store.list(query).await?;
            Ok(RpcValue::Array(
                rows.into_iter().map(RpcValue::from).collect(),
            ))
        }
        Method::DummiesGet => Ok(store.get(args.id(0)?).await?.into()),
        Method::DummiesCreate => {
            let new = NewDummy::parse(&args.fields(0)?)?;
            Ok(store.create(new).await?.into())
        }
        Method::DummiesUpdate => {
            let (id, data) = (args.id(0)?, DummyData::parse(&args.fields(1)?)?);
            Ok(store.replace(id, data).await?.into())
        }
        Method::DummiesPatch => {
            let (id, patch) = (args.id(0)?, DummyPatch::parse(&args.fields(1)?)?);
            Ok(store.patch(id, patch).await?.into())
        }
        Method::DummiesDelete => {
            store.delete(args.id(0)?).await?;
            Ok(RpcValue::Bool(true))
        }
        Method::DummiesCount => Ok(RpcValue::Int(store.count().await?)),
        Method::ListMethods => Ok(RpcValue::Array(
            Method::ALL
                .iter()
                .filter(|m| m.offered_on(envelope))
                .map(|m| RpcValue::String(m.name().to_owned()))
                .collect(),
        )),
        Method::MethodHelp => Ok(RpcValue::String(
            introspected(&args, envelope)?.help().to_owned(),
        )),
        Method::MethodSignature => Ok(RpcValue::Array(
            introspected(&args, envelope)?
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
        )),
        Method::Multicall => Err(RpcError::invalid_request(
            "system.multicall cannot be nested",
        )),
    }
}

/// The procedure named by `system.methodHelp`/`methodSignature`'s argument.
fn introspected(args: &Args, envelope: Envelope) -> Result<Method, RpcError> {
    let name = args.string(0)?;
    Method::find(name, envelope)
        .ok_or_else(|| RpcError::invalid_params(format!("no procedure named {name:?}")))
}

fn add(a: &RpcValue, b: &RpcValue) -> Result<RpcValue, RpcError> {
    match (a, b) {
        (RpcValue::Int(a), RpcValue::Int(b)) => a
            .checked_add(*b)
            .map(RpcValue::Int)
            .ok_or_else(|| RpcError::invalid_params("add: the sum does not fit a 64-bit integer")),
        _ => Ok(RpcValue::Double(as_f64(a) + as_f64(b))),
    }
}

fn as_f64(v: &RpcValue) -> f64 {
    match v {
        RpcValue::Int(i) => *i as f64,
        RpcValue::Double(f) => *f,
        _ => unreachable!("add checked both are numbers"),
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
        let args = Method::Add.bind(Params::Named(named)).unwrap();
        assert_eq!(
            args.slots,
            vec![Some(RpcValue::Int(1)), Some(RpcValue::Int(2))]
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
        assert_eq!(
            add(&RpcValue::Int(2), &RpcValue::Int(3)),
            Ok(RpcValue::Int(5))
        );
        assert_eq!(
            add(&RpcValue::Int(2), &RpcValue::Double(0.5)),
            Ok(RpcValue::Double(2.5))
        );
        assert!(add(&RpcValue::Int(i64::MAX), &RpcValue::Int(1)).is_err());
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
