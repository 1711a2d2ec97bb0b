//! `GET /exports/duty-records/{year}.csv`: the organization's ranking as a spreadsheet for
//! its office. UTF-8 with a byte-order mark (without it Excel on Chinese Windows reads the
//! file as GBK and shows mojibake), CRLF line ends and RFC 4180 quoting; text cells that a
//! spreadsheet would take for a formula are defused.
use poem::{
    IntoResponse, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};

use super::{figures::LEVELS, service};
use crate::{
    attachments::download::content_disposition,
    auth::principal::Principal,
    error::AppError,
    http::{refuse, viewer_from_header},
    state::State,
};

const HEADER: [&str; 19] = [
    "排名",
    "姓名",
    "界别",
    "领衔提案",
    "附议提案",
    "立案",
    "重点提案",
    "报送社情民意信息",
    "全国政协采用",
    "省级采用",
    "市级采用",
    "县级采用",
    "参加活动",
    "请假",
    "收到情况通报",
    "已读情况通报",
    "阅读率",
    "表彰",
    "履职得分",
];

/// One CSV field: quoted when it holds a separator, a quote or a line break; a text that
/// starts like a formula (`=`, `+`, `-`, `@`) gets a leading apostrophe, so a name typed as
/// `=HYPERLINK(…)` stays text when the office opens the file.
fn text(value: &str) -> String {
    let value =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\r', '\n']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

fn line(out: &mut String, cells: &[String]) {
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// The file's text for the records, ranked as given.
pub fn csv(records: &[service::DutyRecord]) -> String {
    let mut out = String::from("\u{feff}");
    line(&mut out, &HEADER.map(str::to_owned));
    for r in records {
        let f = &r.figures;
        let mut cells = vec![
            r.rank.to_string(),
            text(&r.member.name),
            text(r.member.sector.as_deref().unwrap_or("")),
            f.proposals_led.to_string(),
            f.proposals_cosigned.to_string(),
            f.proposals_registered.to_string(),
            f.proposals_key.to_string(),
            f.pieces_submitted.to_string(),
        ];
        cells.extend(LEVELS.iter().enumerate().map(|(i, _)| f.adopted[i].to_string()));
        cells.extend([
            f.visits_attended.to_string(),
            f.visit_leaves.to_string(),
            f.briefings_received.to_string(),
            f.briefings_read.to_string(),
            f.read_rate().map(|r| format!("{:.1}%", r * 100.0)).unwrap_or_default(),
            f.commendations.to_string(),
            format!("{:.2}", r.score()),
        ]);
        line(&mut out, &cells);
    }
    out
}

fn status_of(err: &AppError) -> StatusCode {
    match err {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::BadInput { .. } => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[handler]
pub async fn duty_records_csv(req: &Request, Path(file): Path<String>, state: Data<&State>) -> Response {
    let Some(year) = file.strip_suffix(".csv").and_then(|y| y.parse::<i32>().ok()) else {
        return refuse(StatusCode::NOT_FOUND, &AppError::not_found("没有这个文件"));
    };
    let viewer = match viewer_from_header(req, &state).await {
        Ok(Some(viewer)) => viewer,
        Ok(None) => return refuse(StatusCode::UNAUTHORIZED, &AppError::unauthenticated("请先登录")),
        Err(refused) => return refused,
    };
    let result = async {
        let actor = Principal::load(&state.db, &viewer).await?;
        service::export(&state.db, &actor, year).await
    }
    .await;
    match result {
        Ok(records) => csv(&records)
            .with_content_type("text/csv; charset=utf-8")
            .with_header(
                header::CONTENT_DISPOSITION,
                content_disposition("attachment", &format!("委员履职档案{year}.csv")),
            )
            .with_header(header::CACHE_CONTROL, "no-store")
            .into_response(),
        Err(err) => refuse(status_of(&err), &err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(text("张三"), "张三");
        assert_eq!(text("张,三"), "\"张,三\"");
        assert_eq!(text("他说\"好\""), "\"他说\"\"好\"\"\"");
        assert_eq!(text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(text("第一行\n第二行"), "\"第一行\n第二行\"");
    }
}
