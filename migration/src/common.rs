//! Helpers shared by the migrations. What they produce must never change (old migrations
//! must describe the schema as it was when they ran): add a new helper instead.
use sea_orm_migration::prelude::*;

/// A foreign key `fk_<table>_<column>` to `to_table.id`.
pub fn fk(
    from_table: &'static str,
    from_col: &'static str,
    to_table: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(on_delete)
        .to_owned()
}

/// A foreign key whose rows go with the row they point at.
pub fn fk_cascade(
    from_table: &'static str,
    from_col: &'static str,
    to_table: &'static str,
) -> ForeignKeyCreateStatement {
    fk(from_table, from_col, to_table, ForeignKeyAction::Cascade)
}
