//! Screening of text that is published to members (briefings, public proposal results)
//! for injected spam: the gambling link farms that plague Chinese public-sector sites
//! (the seed's own text carries "188体育在线|投注|官网"), hidden links, and URL farms.
//!
//! A plain keyword list would refuse a discipline commission's "严厉打击跨境赌博" or the
//! sports bureau's "体育彩票投注站". So each sentence is scored: gambling vocabulary,
//! promotion words, brand patterns ("188体育"), keyword stuffing ("a|b|c") and gambling
//! domains add up; enforcement context ("打击", "查处") takes away. A sentence at or above
//! the threshold is refused, naming the span from its first to its last signal, so staff see
//! exactly what to delete. Hidden HTML elements and link farms are refused outright.
use std::sync::LazyLock;

use regex::Regex;

use crate::error::{AppError, AppResult};

/// What the screen found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub span: String,
    pub reason: &'static str,
}

const THRESHOLD: i32 = 4;
/// More distinct non-government domains than this in one text is a link farm.
const MAX_FOREIGN_DOMAINS: usize = 4;

struct Signal {
    pattern: Regex,
    weight: i32,
    /// Whether its matches mark the span shown to staff (stuffing matches are too greedy).
    marks_span: bool,
}

fn re(pattern: &str) -> Regex {
    // The patterns are constants checked by the unit tests below.
    #[allow(clippy::expect_used)]
    Regex::new(pattern).expect("valid pattern")
}

static SIGNALS: LazyLock<Vec<Signal>> = LazyLock::new(|| {
    vec![
        // Words that only gambling promotion uses.
        Signal {
            pattern: re(
                r"(?i)百家乐|彩金|娱乐城|真人娱乐|真人视讯|老虎机|时时彩|菠菜|皇冠体育|葡京|威尼斯人|太阳城|电子游艺|baccarat|casino",
            ),
            weight: 3,
            marks_span: true,
        },
        // Brand names built on a number: 188体育, 365娱乐, 888真人.
        Signal {
            pattern: re(r"\d{2,}(?:体育|娱乐|彩票|棋牌|国际|真人|电竞)"), weight: 3, marks_span: true
        },
        // Domains named after gambling.
        Signal {
            pattern: re(
                r"(?i)(?:https?://)?(?:[a-z0-9-]+\.)*[a-z0-9-]*(?:bet|casino|bocai|poker|slot|lottery|vip\d)[a-z0-9-]*\.[a-z]{2,}",
            ),
            weight: 3,
            marks_span: true,
        },
        // Gambling vocabulary that also occurs in ordinary (enforcement, lottery) texts.
        Signal {
            pattern: re(r"投注|下注|博彩|赌场|六合彩|赌球|盘口|棋牌"), weight: 2, marks_span: true
        },
        // Keyword stuffing: "188体育在线|投注|官网".
        Signal { pattern: re(r"[^\s|]{1,12}\|[^\s|]{1,12}\|[^\s|]{1,12}"), weight: 2, marks_span: false },
        // Promotion words: harmless alone ("市政府官网").
        Signal {
            pattern: re(r"官网|注册|开户|首存|返水|送|优惠|网址|在线|下载|登录"), weight: 1, marks_span: true
        },
        // Enforcement context: an official text speaking *against* gambling.
        Signal {
            pattern: re(r"打击|整治|查处|严禁|取缔|防范|治理|禁止"), weight: -3, marks_span: true
        },
    ]
});

static HIDDEN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?is)<(a|div|span|p|font)\b[^>]*style\s*=\s*["'][^"']*(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0|(?:left|top|text-indent)\s*:\s*-\d{3,})[^"']*["'][^>]*>.*?</\s*(?:a|div|span|p|font)\s*>"#,
    )
});

static DOMAIN: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\b(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?:/\S*)?"));

static SENTENCE_END: LazyLock<Regex> = LazyLock::new(|| re(r"[。！？!?；;\n]"));

fn is_government(domain: &str) -> bool {
    let d = domain.to_ascii_lowercase();
    d.ends_with(".gov.cn") || d.ends_with(".gov") || d == "gov.cn"
}

/// Screens one text; `None` when it may be published.
pub fn screen(text: &str) -> Option<Finding> {
    if let Some(m) = HIDDEN.find(text) {
        return Some(Finding { span: m.as_str().to_owned(), reason: "隐藏链接" });
    }

    let mut start = 0;
    let mut ends: Vec<usize> = SENTENCE_END.find_iter(text).map(|m| m.end()).collect();
    ends.push(text.len());
    for end in ends {
        let sentence = &text[start..end];
        start = end;
        let mut score = 0;
        let mut first = usize::MAX;
        let mut last = 0;
        let mut strong = false;
        for signal in SIGNALS.iter() {
            for m in signal.pattern.find_iter(sentence) {
                score += signal.weight;
                if signal.weight >= 2 {
                    strong = true;
                }
                if signal.weight > 0 && signal.marks_span {
                    first = first.min(m.start());
                    last = last.max(m.end());
                }
            }
        }
        if strong && score >= THRESHOLD && first < last {
            let span = sentence[first..last].trim().to_owned();
            return Some(Finding { span, reason: "疑似赌博推广" });
        }
    }

    let mut foreign: Vec<String> = Vec::new();
    for caps in DOMAIN.captures_iter(text) {
        let domain = caps.get(1).map_or("", |m| m.as_str()).to_ascii_lowercase();
        if !is_government(&domain) && !foreign.contains(&domain) {
            foreign.push(domain);
        }
    }
    if foreign.len() > MAX_FOREIGN_DOMAINS {
        return Some(Finding { span: foreign.join(" "), reason: "疑似链接堆砌" });
    }
    None
}

/// Screens several fields (GraphQL name, text); the first finding refuses with
/// `BAD_USER_INPUT` on that field, quoting the span.
pub fn check(fields: &[(&str, &str)]) -> AppResult<()> {
    for (field, text) in fields {
        if let Some(finding) = screen(text) {
            return Err(AppError::Rejected {
                field: (*field).to_owned(),
                message: format!("内容含有{}：“{}”，请修改后再发布", finding.reason, finding.span),
                span: finding.span,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed's own sentence, and the samples of `shared/data/reference.json`.
    #[test]
    fn refuses_the_known_spam() {
        let seed = "市长雷健坤、市政协主席188体育在线|投注|官网:等市领导分别参加了视察和座谈。";
        assert_eq!(screen(seed).map(|f| f.span), Some("188体育在线|投注|官网".to_owned()));

        let farm = "详情请访问 www.888bet-xx.com 体育投注 官网注册送彩金";
        let found = screen(farm);
        assert_eq!(found.as_ref().map(|f| f.reason), Some("疑似赌博推广"));
        assert!(found.is_some_and(|f| f.span.starts_with("www.888bet-xx.com") && f.span.ends_with("彩金")));

        let hidden = r#"<a href="http://xx-casino.example" style="display:none">百家乐</a>"#;
        assert_eq!(screen(hidden).map(|f| f.reason), Some("隐藏链接"));
    }

    #[test]
    fn passes_ordinary_official_text() {
        for text in [
            "市体育局通报全民健身工作进展。",
            "详见市政府官网 http://www.yq.gov.cn 通知公告栏目。",
            "围绕新建石太高铁、改建阳涉铁路、支持气凝胶项目等课题，共提交提案35件。",
            "严厉打击跨境赌博和网络博彩违法犯罪活动，查处赌场窝点3个。",
            "在市体育彩票投注站开展文明创建活动。",
            "委员们可登录市政府官网在线查阅全文，或下载移动端。",
            "全市创卫工作按照既定目标稳步推进……",
            "会议要求：一、提高站位|二、压实责任|三、狠抓落实。",
        ] {
            assert_eq!(screen(text), None, "{text}");
        }
    }

    #[test]
    fn refuses_link_farms_but_not_a_few_links() {
        let farm = "a.com b.net c.org d.io e.cc 欢迎访问";
        assert_eq!(screen(farm).map(|f| f.reason), Some("疑似链接堆砌"));
        let fine = "见 www.gov.cn、www.hebei.gov.cn、www.xinhuanet.com 和 www.people.com.cn 的报道";
        assert_eq!(screen(fine), None);
    }

    #[test]
    fn refuses_other_hiding_tricks() {
        let text = "正文<span style='font-size:0'>彩金 www.bet.com</span>结束";
        assert_eq!(screen(text).map(|f| f.reason), Some("隐藏链接"));
    }

    #[test]
    fn check_names_the_field_and_span() {
        let err = check(&[("title", "关于创卫的通报"), ("body", "主席188体育在线|投注|官网:等")]).err();
        match err {
            Some(AppError::Rejected { field, span, .. }) => {
                assert_eq!(field, "body");
                assert_eq!(span, "188体育在线|投注|官网");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
