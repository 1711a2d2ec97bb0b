//! The annual report as documents the office works from: a Chinese HTML page with bar
//! charts drawn as inline SVG (nothing fetched when it is viewed), a Word document
//! (`docx-rs`) and Markdown. All three are drawn from the same sections, so they show the
//! same figures; every text from the records is escaped for its format.
use std::fmt::Write as _;

use docx_rs::{Docx, Paragraph, Run, Table, TableCell, TableRow};

use super::service::Report;
use entity::{CommendationSubjectKind, OrganizationLevel, ProposalKind, ReplyOutcome, VisitKind};

/// One part of the report: its figures as rows, and the ones worth a chart.
pub struct Section {
    pub title: &'static str,
    pub rows: Vec<(String, String)>,
    pub chart: Vec<(String, u64)>,
}

fn kind_label(k: ProposalKind) -> &'static str {
    match k {
        ProposalKind::Individual => "个人提案",
        ProposalKind::Joint => "联名提案",
        ProposalKind::Party => "党派提案",
        ProposalKind::Sector => "界别提案",
        ProposalKind::Committee => "专委会提案",
    }
}

fn outcome_label(o: ReplyOutcome) -> &'static str {
    match o {
        ReplyOutcome::A => "A类（已解决或基本解决）",
        ReplyOutcome::B => "B类（正在解决或列入计划）",
        ReplyOutcome::C => "C类（留作参考）",
    }
}

fn level_label(l: OrganizationLevel) -> &'static str {
    match l {
        OrganizationLevel::National => "全国政协",
        OrganizationLevel::Provincial => "省级政协",
        OrganizationLevel::Municipal => "市级政协",
        OrganizationLevel::County => "县级政协",
    }
}

fn visit_label(k: VisitKind) -> &'static str {
    match k {
        VisitKind::Inspection => "视察",
        VisitKind::Research => "调研",
        VisitKind::OutboundStudy => "外出考察",
        VisitKind::InboundReception => "接待来访",
        VisitKind::UpperLevelVisit => "上级来访",
        VisitKind::Training => "培训学习",
        VisitKind::JointInspection => "联动视察",
    }
}

fn subject_label(k: CommendationSubjectKind) -> &'static str {
    match k {
        CommendationSubjectKind::Proposal => "提案",
        CommendationSubjectKind::Suggestion => "社情民意信息",
        CommendationSubjectKind::HandlingUnit => "承办单位",
        CommendationSubjectKind::User => "个人",
        CommendationSubjectKind::Organization => "政协组织",
    }
}

fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

fn row(label: impl Into<String>, value: impl ToString) -> (String, String) {
    (label.into(), value.to_string())
}

fn yes(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

pub fn title(r: &Report) -> String {
    format!("{}{}年度工作综述", r.organization.name, r.year)
}

pub fn sections(r: &Report) -> Vec<Section> {
    let f = &r.figures;
    let p = &f.proposals;
    let mut out = Vec::new();
    let mut rows = vec![
        row("提交提案（件）", p.submitted),
        row("立案（件）", p.registered),
        row("不予立案（件）", p.not_registered),
        row("并案（件）", p.merged),
        row("撤回（件）", p.withdrawn),
        row("重点提案（件）", p.key),
        row("办理结果公开（件）", p.results_published),
        row("满意率", percent(p.satisfaction_rate)),
    ];
    rows.extend(p.by_kind.iter().map(|(k, n)| row(format!("其中{}（件）", kind_label(*k)), n)));
    rows.extend(p.reply_outcomes.iter().map(|(o, n)| row(format!("答复{}（件）", outcome_label(*o)), n)));
    out.push(Section {
        title: "提案工作",
        rows,
        chart: p
            .by_category
            .iter()
            .map(|(c, n)| (if c.is_empty() { "未分类".into() } else { c.clone() }, *n))
            .collect(),
    });
    if !p.key_proposals.is_empty() {
        out.push(Section {
            title: "重点提案",
            rows: p
                .key_proposals
                .iter()
                .map(|k| {
                    let detail = format!(
                        "领办：{}；督办：{}；促办：{}；已评价：{}；已公开：{}",
                        k.lead_official.as_deref().unwrap_or("—"),
                        k.supervisor.as_deref().unwrap_or("—"),
                        k.promoting_committee.as_deref().unwrap_or("—"),
                        yes(k.evaluated),
                        yes(k.published)
                    );
                    row(k.title.clone(), detail)
                })
                .collect(),
            chart: Vec::new(),
        });
    }
    if !f.upper_sessions.is_empty() {
        out.push(Section {
            title: "参加上级政协会议",
            rows: f
                .upper_sessions
                .iter()
                .map(|s| {
                    row(
                        format!("{}{}", s.organization_name, s.session.name),
                        format!("{}名委员提交提案{}件，立案{}件", s.members, s.submitted, s.registered),
                    )
                })
                .collect(),
            chart: Vec::new(),
        });
    }
    let s = &f.suggestions;
    let mut rows = vec![
        row("收到社情民意信息（篇）", s.received),
        row("采编（篇）", s.accepted),
        row("编发信息专报（期）", s.bulletins_published),
        row("报送（篇）", s.reported),
        row("获领导批示（篇）", s.instructions),
    ];
    rows.extend(s.adopted_by_level.iter().map(|(l, n)| row(format!("{}采用（篇）", level_label(*l)), n)));
    out.push(Section {
        title: "社情民意信息",
        rows,
        chart: s.adopted_by_level.iter().map(|(l, n)| (format!("{}采用", level_label(*l)), *n)).collect(),
    });
    let v = &f.visits;
    let mut rows: Vec<(String, String)> = v
        .by_kind
        .iter()
        .map(|(k, c)| row(visit_label(*k), format!("{}批{}人次（{}人参加）", c.batches, c.person_times, c.members)))
        .collect();
    rows.push(row("合计", format!("{}批{}人次（{}人参加）", v.total.batches, v.total.person_times, v.total.members)));
    rows.extend(v.inbound_regions.iter().map(|(region, b, n)| {
        let region = if region.is_empty() { "未注明地区" } else { region.as_str() };
        row(format!("来访：{region}"), format!("{b}批{n}人次"))
    }));
    out.push(Section {
        title: "视察调研、交流考察",
        rows,
        chart: v.by_kind.iter().map(|(k, c)| (format!("{}（人次）", visit_label(*k)), c.person_times)).collect(),
    });
    let b = &f.briefings;
    let mut rows = vec![row("发布情况通报（期）", b.published), row("平均阅读率", percent(b.average_read_rate))];
    rows.extend(b.by_source.iter().map(|(s, n)| row(format!("来源：{s}"), n)));
    out.push(Section { title: "知情明政", rows, chart: Vec::new() });
    out.push(Section {
        title: "表彰",
        rows: f.commendations.iter().map(|(k, n)| row(format!("{}（项）", subject_label(*k)), n)).collect(),
        chart: Vec::new(),
    });
    out
}

/// Text for HTML content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A horizontal bar chart: one bar per item, its figure written beside it.
fn bar_chart(items: &[(String, u64)]) -> String {
    let max = items.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let height = items.len() * 28 + 8;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="640" height="{height}" role="img" viewBox="0 0 640 {height}">"#
    );
    for (i, (label, n)) in items.iter().enumerate() {
        let y = i * 28 + 4;
        let width = (*n as f64 / max as f64 * 360.0).round() as u64;
        let _ = write!(
            svg,
            r##"<text x="0" y="{ty}" font-size="14">{label}</text><rect x="200" y="{y}" width="{width}" height="20" fill="#b22222"/><text x="{tx}" y="{ty}" font-size="14">{n}</text>"##,
            ty = y + 15,
            label = escape_html(label),
            tx = 206 + width,
        );
    }
    svg.push_str("</svg>");
    svg
}

pub fn html(r: &Report) -> String {
    let title = escape_html(&title(r));
    let mut body = String::new();
    for s in sections(r) {
        let _ = write!(body, "<section><h2>{}</h2><table>", escape_html(s.title));
        for (label, value) in &s.rows {
            let _ = write!(body, "<tr><th>{}</th><td>{}</td></tr>", escape_html(label), escape_html(value));
        }
        body.push_str("</table>");
        if s.chart.iter().any(|(_, n)| *n > 0) {
            body.push_str(&bar_chart(&s.chart));
        }
        body.push_str("</section>");
    }
    let status = match r.published_at {
        Some(at) => format!("已于{}向委员公布", crate::calendar::date_of(at)),
        None => "未公布（仅机关可见）".to_owned(),
    };
    format!(
        r#"<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title><style>
body{{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",sans-serif;max-width:860px;margin:2em auto;padding:0 1em;color:#222}}
h1{{color:#b22222;text-align:center}}h2{{border-bottom:2px solid #b22222;padding-bottom:.2em}}
table{{border-collapse:collapse;width:100%;margin:.5em 0 1em}}th,td{{border:1px solid #ccc;padding:.35em .6em;text-align:left}}th{{width:40%;background:#faf5f5;font-weight:normal}}
</style></head><body><h1>{title}</h1><p class="status">统计口径：按业务发生日期（北京时间）计。{status}</p>{body}</body></html>"#,
        status = escape_html(&status),
    )
}

/// Text in a Markdown table cell: no line breaks, pipes and markup characters escaped.
fn escape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '|' | '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

pub fn markdown(r: &Report) -> String {
    let mut out = format!("# {}\n\n统计口径：按业务发生日期（北京时间）计。\n", escape_md(&title(r)));
    for s in sections(r) {
        let _ = write!(out, "\n## {}\n\n| 项目 | 数据 |\n| --- | --- |\n", s.title);
        for (label, value) in &s.rows {
            let _ = writeln!(out, "| {} | {} |", escape_md(label), escape_md(value));
        }
    }
    out
}

/// The Word document: a title, then per section a heading and a two-column table. The
/// XML is written by `docx-rs`, which escapes the text.
pub fn docx(r: &Report) -> Result<Vec<u8>, String> {
    let text = |t: &str, size: usize, bold: bool| {
        let run = Run::new().add_text(t).size(size);
        Paragraph::new().add_run(if bold { run.bold() } else { run })
    };
    let mut doc = Docx::new().add_paragraph(text(&title(r), 36, true));
    for s in sections(r) {
        doc = doc.add_paragraph(text(s.title, 28, true));
        let rows = s
            .rows
            .iter()
            .map(|(label, value)| {
                TableRow::new(vec![
                    TableCell::new().add_paragraph(text(label, 21, false)),
                    TableCell::new().add_paragraph(text(value, 21, false)),
                ])
            })
            .collect();
        doc = doc.add_table(Table::new(rows));
    }
    let mut bytes = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut bytes).map_err(|e| e.to_string())?;
    Ok(bytes.into_inner())
}
