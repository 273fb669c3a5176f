//! The schema: the Dummy as a GraphQL type, its queries, mutations and subscription.
//!
//! Written as Rust types; async-graphql derives the SDL from them, and the
//! committed `graphql/schema.graphql` must equal it ([`sdl`], tested).
//!
//! Inputs are typed by the schema: `day: "x"` or `weekday: FUNDAY` never reaches a
//! resolver, the engine refuses the request first. What the types cannot say (a day
//! from 1 to 31) the model checks, with the same messages REST gives, and the
//! [`crate::error`] module turns them into `INVALID` errors.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{
    Context, Enum, ID, InputObject, MaybeUndefined, Object, Schema, SimpleObject, Union,
};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use model::{
    DummyFields, DummyId, DummyPatch, ListQuery, MAX_IDS, MAX_PAGE, NewDummy, Store, Value,
};

use crate::error::{self, invalid};
use crate::limits::{AliasLimit, Limits};

/// The service's schema type.
pub type DummySchema = Schema<Query, Mutation, Subscription>;

/// The page size of `dummies` when `first` is not given.
pub const DEFAULT_PAGE: i64 = 10;

/// Builds the schema around a store, with the limits the engine enforces itself.
pub fn build(store: Store, limits: &Limits) -> DummySchema {
    let builder = Schema::build(Query, Mutation, Subscription)
        .data(store)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .extension(AliasLimit {
            max: limits.max_aliases,
        });
    if limits.introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// The schema in GraphQL's own language (SDL), as committed in `graphql/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query, Mutation, Subscription).finish().sdl()
}

/// Day of the week.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "model::Weekday")]
#[allow(missing_docs)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

/// Month of the year.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "model::Month")]
#[allow(missing_docs)]
pub enum Month {
    January,
    February,
    March,
    April,
    May,
    June,
    July,
    August,
    September,
    October,
    November,
    December,
}

/// One stored Dummy.
pub struct Dummy(model::Dummy);

/// One stored Dummy: a date, and when it was written.
#[Object]
impl Dummy {
    /// Assigned by the database.
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }
    /// Day of the month, 1 to 31.
    async fn day(&self) -> i32 {
        i32::from(self.0.day.get())
    }
    /// Day of the week.
    async fn weekday(&self) -> Weekday {
        self.0.weekday.into()
    }
    /// Month of the year.
    async fn month(&self) -> Month {
        self.0.month.into()
    }
    /// Any year.
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// True for rows written by `protocols seed`.
    async fn pre_seeded(&self) -> bool {
        self.0.pre_seeded
    }
    /// When the row was inserted (UTC).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the row was last written (UTC).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// The fields of a new Dummy, or of a full update: every date field is required.
#[derive(InputObject)]
pub struct DummyInput {
    /// Day of the month, 1 to 31.
    day: i32,
    /// Day of the week.
    weekday: Weekday,
    /// Month of the year.
    month: Month,
    /// Any year.
    year: i32,
    /// Marks seeded rows; read on create only. Defaults to false.
    pre_seeded: Option<bool>,
}

/// Some fields of a Dummy: those given are written, the others kept.
#[derive(InputObject)]
pub struct DummyPatchInput {
    /// Day of the month, 1 to 31.
    day: MaybeUndefined<i32>,
    /// Day of the week.
    weekday: MaybeUndefined<Weekday>,
    /// Month of the year.
    month: MaybeUndefined<Month>,
    /// Any year.
    year: MaybeUndefined<i32>,
}

impl DummyInput {
    fn fields(&self) -> DummyFields {
        DummyFields {
            day: Some(Value::Int(i64::from(self.day))),
            weekday: Some(Value::Weekday(self.weekday.into())),
            month: Some(Value::Month(self.month.into())),
            year: Some(Value::Int(i64::from(self.year))),
            pre_seeded: self.pre_seeded.map(Value::Bool),
        }
    }
}

impl DummyPatchInput {
    fn fields(&self) -> DummyFields {
        fn sent<T>(value: &MaybeUndefined<T>, to: impl Fn(&T) -> Value) -> Option<Value> {
            match value {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(Value::Null),
                MaybeUndefined::Value(v) => Some(to(v)),
            }
        }
        DummyFields {
            day: sent(&self.day, |d| Value::Int(i64::from(*d))),
            weekday: sent(&self.weekday, |w| Value::Weekday((*w).into())),
            month: sent(&self.month, |m| Value::Month((*m).into())),
            year: sent(&self.year, |y| Value::Int(i64::from(*y))),
            pre_seeded: None,
        }
    }
}

/// Reads.
pub struct Query;

#[Object]
impl Query {
    /// One Dummy by id; `null` with a `NOT_FOUND` error when there is none.
    async fn dummy(&self, ctx: &Context<'_>, id: ID) -> Option<Dummy> {
        // The errors are added beside a `null`, as the spec has it for a nullable
        // field (async-graphql would leave the field out of `data`).
        let found = match parse_id(&id, "id") {
            Ok(id) => run(ctx, store(ctx).get(id).await),
            Err(error) => Err(error),
        };
        match found {
            Ok(dummy) => Some(Dummy(dummy)),
            Err(error) => {
                ctx.add_error(ctx.set_error_path(error.into_server_error(ctx.item.pos)));
                None
            }
        }
    }

    /// A page of Dummies in ascending id order (a Relay connection, keyset on id):
    /// `first` rows after the cursor `after`, optionally only those in `ids`.
    async fn dummies(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 10,000; 10 when not given.")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last row of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only these ids (at most 1,000); missing ones are skipped.")] ids: Option<
            Vec<ID>,
        >,
    ) -> async_graphql::Result<Connection<String, Dummy, EmptyFields, EmptyFields>> {
        let first = i64::from(first.unwrap_or(DEFAULT_PAGE as i32));
        if !(1..=MAX_PAGE).contains(&first) {
            return Err(invalid(
                "first",
                &[&format!("Ensure this value is between 1 and {MAX_PAGE}.")],
            ));
        }
        let after = match &after {
            Some(cursor) => Some(parse_id(&ID(cursor.clone()), "after")?),
            None => None,
        };
        let ids = match ids {
            Some(ids) if ids.len() > MAX_IDS => {
                return Err(invalid(
                    "ids",
                    &[&format!("Ensure there are no more than {MAX_IDS} ids.")],
                ));
            }
            Some(ids) => Some(
                ids.iter()
                    .map(|id| parse_id(id, "ids"))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        // One row more than asked tells whether there is a next page.
        let query = ListQuery {
            ids,
            after,
            offset: None,
            limit: Some((first + 1).min(MAX_PAGE + 1)),
        };
        let mut rows = run(ctx, store(ctx).list(query).await)?;
        let has_next = rows.len() as i64 > first;
        rows.truncate(first as usize);
        let mut connection = Connection::new(after.is_some(), has_next);
        connection.edges.extend(
            rows.into_iter()
                .map(|dummy| Edge::new(dummy.id.0.to_string(), Dummy(dummy))),
        );
        Ok(connection)
    }

    /// How many Dummies there are.
    async fn dummies_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        run(ctx, store(ctx).count().await)
    }
}

/// Writes.
pub struct Mutation;

#[Object]
impl Mutation {
    /// Creates a Dummy and returns it as stored.
    async fn create_dummy(
        &self,
        ctx: &Context<'_>,
        input: DummyInput,
    ) -> async_graphql::Result<Dummy> {
        let new = run(ctx, NewDummy::parse(&input.fields()))?;
        Ok(Dummy(run(ctx, store(ctx).create(new).await)?))
    }

    /// Replaces every date field of a Dummy.
    async fn update_dummy(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: DummyInput,
    ) -> async_graphql::Result<Dummy> {
        let id = parse_id(&id, "id")?;
        let mut fields = input.fields();
        fields.pre_seeded = None;
        let data = run(ctx, model::DummyData::parse(&fields))?;
        Ok(Dummy(run(ctx, store(ctx).replace(id, data).await)?))
    }

    /// Changes the fields given, keeps the others.
    async fn patch_dummy(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: DummyPatchInput,
    ) -> async_graphql::Result<Dummy> {
        let id = parse_id(&id, "id")?;
        let patch = run(ctx, DummyPatch::parse(&input.fields()))?;
        Ok(Dummy(run(ctx, store(ctx).patch(id, patch).await)?))
    }

    /// Deletes a Dummy and returns its id.
    async fn delete_dummy(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let parsed = parse_id(&id, "id")?;
        run(ctx, store(ctx).delete(parsed).await)?;
        Ok(id)
    }
}

fn store<'a>(ctx: &Context<'a>) -> &'a Store {
    ctx.data_unchecked::<Store>()
}

/// An `ID` holds text; ours are whole numbers.
fn parse_id(id: &ID, field: &str) -> Result<DummyId, async_graphql::Error> {
    id.parse::<i64>()
        .map(DummyId)
        .map_err(|_| invalid(field, &[model::dummy::NOT_INTEGER]))
}

/// A model result as a resolver's: the first error is the field's, any others (one
/// per broken field) are added beside it.
fn run<T>(ctx: &Context<'_>, result: Result<T, model::Error>) -> async_graphql::Result<T> {
    result.map_err(|e| {
        let mut errors = error::to_graphql(e).into_iter();
        let first = errors
            .next()
            .unwrap_or_else(|| async_graphql::Error::new("internal error"));
        for more in errors {
            ctx.add_error(ctx.set_error_path(more.into_server_error(ctx.item.pos)));
        }
        first
    })
}

/// What happened to a Dummy.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "model::ChangeKind")]
#[allow(missing_docs)]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
}

/// One event of `dummyChanged`: a committed write, or news of a gap in the feed.
#[derive(Union)]
#[allow(missing_docs)]
pub enum FeedEvent {
    Changed(DummyChanged),
    Missed(FeedMissed),
    Interrupted(FeedInterrupted),
    Resumed(FeedResumed),
}

/// A committed write, from any protocol.
#[derive(SimpleObject)]
pub struct DummyChanged {
    /// Its number in the event journal: strictly increasing, in commit order. Pass the
    /// last one seen as `after` to resume without losing a change.
    seq: ID,
    /// What happened.
    kind: ChangeKind,
    /// The row after the write (for a delete: as it was just before).
    dummy: Dummy,
}

/// Not sent any more: changes are read from the event journal, so a subscriber that
/// reads slowly gets every one. Kept so that queries naming it stay valid.
#[derive(SimpleObject)]
pub struct FeedMissed {
    /// How many.
    count: i32,
}

/// The feed lost its database connection; the changes made until `FeedResumed` follow it.
#[derive(SimpleObject)]
pub struct FeedInterrupted {
    /// Why.
    reason: String,
}

/// The feed is live again after `FeedInterrupted`; the changes made meanwhile follow.
#[derive(SimpleObject)]
pub struct FeedResumed {
    /// What to do.
    advice: String,
}

/// Live views.
pub struct Subscription;

#[async_graphql::Subscription]
impl Subscription {
    /// Every committed write to a Dummy, by any protocol (the change feed gRPC's
    /// `WatchDummies` and the WebSocket feed also read), optionally only some kinds.
    /// With `after` (a `seq` seen before), the changes after it come first: nothing is
    /// lost across a reconnect. A position the journal no longer keeps is an error
    /// with the code `TOO_OLD`.
    async fn dummy_changed(
        &self,
        ctx: &Context<'_>,
        kinds: Option<Vec<ChangeKind>>,
        after: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<FeedEvent>> + use<>> {
        let store = store(ctx).clone();
        let after = match after {
            Some(after) => Some(
                after
                    .parse::<i64>()
                    .map_err(|_| invalid("after", &["A valid integer is required."]))?,
            ),
            None => None,
        };
        let watch = run(ctx, store.watch(after).await)?;
        let kinds: Option<Vec<model::ChangeKind>> =
            kinds.map(|kinds| kinds.into_iter().map(Into::into).collect());
        Ok(futures_util::stream::unfold(Some(watch), move |watch| {
            let kinds = kinds.clone();
            async move {
                let mut watch = watch?;
                loop {
                    let event = match watch.next().await? {
                        Ok(model::Update::Changed(event)) => {
                            if kinds.as_ref().is_some_and(|k| !k.contains(&event.kind)) {
                                continue;
                            }
                            FeedEvent::Changed(DummyChanged {
                                seq: ID(event.seq.to_string()),
                                kind: event.kind.into(),
                                dummy: Dummy(event.dummy),
                            })
                        }
                        Ok(model::Update::Interrupted) => FeedEvent::Interrupted(FeedInterrupted {
                            reason: "the database is unavailable; the changes made until FeedResumed follow it".into(),
                        }),
                        Ok(model::Update::Resumed) => FeedEvent::Resumed(FeedResumed {
                            advice: "the database is back; the changes made meanwhile follow".into(),
                        }),
                        Err(error) => {
                            let error = error::to_graphql(error).into_iter().next();
                            let error = error.unwrap_or_else(|| async_graphql::Error::new("internal error"));
                            return Some((Err(error), None));
                        }
                    };
                    return Some((Ok(event), Some(watch)));
                }
            }
        }))
    }
}
