//! GraphQL face of duty records: thin resolvers over `service`.
use async_graphql::{
    Context, ID, InputObject, Object, Result, SimpleObject,
    connection::{Connection, Edge},
};

use super::{
    figures::LEVELS,
    service::{self, DutyRecord as Record},
    weights::{WeightChanges, Weights},
};
use crate::graphql::{
    context::{ContextExt, actor, parse_id, to_id},
    enums::OrganizationLevel,
    pagination::{Page, TotalCount, page_size},
};

/// 委员履职档案：一名委员一年的履职情况（按北京时间的业务日期统计）
pub struct DutyRecord(pub Record);

/// 某一级别采用的社情民意信息件数（同一件在同一级别只计一次）
#[derive(SimpleObject)]
pub struct AdoptionCount {
    pub level: OrganizationLevel,
    pub count: i64,
}

#[Object]
impl DutyRecord {
    async fn user_id(&self) -> ID {
        to_id(self.0.member.user_id)
    }
    /// 姓名
    async fn name(&self) -> &str {
        &self.0.member.name
    }
    /// 界别名称
    async fn sector(&self) -> Option<&str> {
        self.0.member.sector.as_deref()
    }
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// 领衔提交的提案（个人、联名；不含草稿和已撤回的）
    async fn proposals_led(&self) -> i64 {
        self.0.figures.proposals_led
    }
    /// 附议（同意联名）的提案
    async fn proposals_co_signed(&self) -> i64 {
        self.0.figures.proposals_cosigned
    }
    /// 领衔提案中当年立案的
    async fn proposals_registered(&self) -> i64 {
        self.0.figures.proposals_registered
    }
    /// 领衔提案中的重点提案
    async fn key_proposals(&self) -> i64 {
        self.0.figures.proposals_key
    }
    /// 报送的社情民意信息
    async fn pieces_submitted(&self) -> i64 {
        self.0.figures.pieces_submitted
    }
    /// 被采用的社情民意信息（各级别件数之和）
    async fn pieces_adopted(&self) -> i64 {
        self.0.figures.adopted_total()
    }
    /// 按采用级别
    async fn adopted_by_level(&self) -> Vec<AdoptionCount> {
        LEVELS
            .iter()
            .zip(self.0.figures.adopted)
            .map(|(level, count)| AdoptionCount { level: (*level).into(), count })
            .collect()
    }
    /// 参加的视察调研等活动（不含已取消的）
    async fn visits_attended(&self) -> i64 {
        self.0.figures.visits_attended
    }
    /// 请假获准的活动
    async fn visit_leaves(&self) -> i64 {
        self.0.figures.visit_leaves
    }
    /// 当年收到的情况通报
    async fn briefings_received(&self) -> i64 {
        self.0.figures.briefings_received
    }
    /// 其中已读的
    async fn briefings_read(&self) -> i64 {
        self.0.figures.briefings_read
    }
    /// 情况通报阅读率（0到1；未收到通报时为空）
    async fn briefing_read_rate(&self) -> Option<f64> {
        self.0.figures.read_rate()
    }
    /// 受到的表彰
    async fn commendations(&self) -> i64 {
        self.0.figures.commendations
    }
    /// 履职得分（按本组织设置的权重加权求和，保留两位小数）
    async fn score(&self) -> f64 {
        self.0.score()
    }
    /// 排名（同分同名次）
    async fn rank(&self) -> u64 {
        self.0.rank
    }
}

/// 履职得分的权重（每项的分值；情况通报一项为阅读率100%时的分值）
pub struct DutyScoreWeights(pub Weights, pub bool);

#[Object]
impl DutyScoreWeights {
    /// 每件领衔提案
    async fn proposal_led(&self) -> i32 {
        self.0.proposal_led
    }
    /// 每件附议提案
    async fn proposal_co_signed(&self) -> i32 {
        self.0.proposal_cosigned
    }
    /// 每件立案的领衔提案（另加）
    async fn proposal_registered(&self) -> i32 {
        self.0.proposal_registered
    }
    /// 每件重点提案（另加）
    async fn proposal_key(&self) -> i32 {
        self.0.proposal_key
    }
    /// 每件社情民意信息
    async fn piece_submitted(&self) -> i32 {
        self.0.piece_submitted
    }
    /// 全国政协采用一件
    async fn adopted_national(&self) -> i32 {
        self.0.adopted_national
    }
    /// 省级采用一件
    async fn adopted_provincial(&self) -> i32 {
        self.0.adopted_provincial
    }
    /// 市级采用一件
    async fn adopted_municipal(&self) -> i32 {
        self.0.adopted_municipal
    }
    /// 县级采用一件
    async fn adopted_county(&self) -> i32 {
        self.0.adopted_county
    }
    /// 参加一次活动
    async fn visit_attended(&self) -> i32 {
        self.0.visit_attended
    }
    /// 请假一次（可为负数）
    async fn visit_leave(&self) -> i32 {
        self.0.visit_leave
    }
    /// 情况通报全部阅读
    async fn briefing_read_rate(&self) -> i32 {
        self.0.briefing_read_rate
    }
    /// 每项表彰
    async fn commendation(&self) -> i32 {
        self.0.commendation
    }
    /// 是否为默认权重（本组织尚未设置）
    async fn is_default(&self) -> bool {
        self.1
    }
}

/// 要修改的权重（-100到100的整数）；未给出的保持不变
#[derive(InputObject)]
pub struct DutyScoreWeightsInput {
    pub proposal_led: Option<i32>,
    pub proposal_co_signed: Option<i32>,
    pub proposal_registered: Option<i32>,
    pub proposal_key: Option<i32>,
    pub piece_submitted: Option<i32>,
    pub adopted_national: Option<i32>,
    pub adopted_provincial: Option<i32>,
    pub adopted_municipal: Option<i32>,
    pub adopted_county: Option<i32>,
    pub visit_attended: Option<i32>,
    pub visit_leave: Option<i32>,
    pub briefing_read_rate: Option<i32>,
    pub commendation: Option<i32>,
}

#[derive(Default)]
pub struct DutyQuery;

#[Object]
impl DutyQuery {
    /// 委员履职档案：本人可看自己的，机关工作人员、管理员可看本组织每位委员的
    async fn member_duty_record(&self, ctx: &Context<'_>, user_id: ID, year: i32) -> Result<DutyRecord> {
        let actor = actor(ctx).await?;
        let user_id = parse_id(&user_id, "userId")?;
        Ok(DutyRecord(service::record(&ctx.state()?.db, actor, user_id, year).await?))
    }

    /// 本组织委员按履职得分排名（机关工作人员、管理员）：得分从高到低，同分按姓名
    async fn duty_records(
        &self,
        ctx: &Context<'_>,
        year: i32,
        sector_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<DutyRecord>> {
        let actor = actor(ctx).await?;
        let limit = page_size(first)?;
        let sector_id = sector_id.as_ref().map(|id| parse_id(id, "sectorId")).transpose()?;
        let page = service::page(&ctx.state()?.db, actor, year, sector_id, after.as_deref(), limit).await?;
        let mut conn =
            Connection::with_additional_fields(after.is_some(), page.has_next, TotalCount { total_count: page.total });
        conn.edges.extend(page.records.into_iter().map(|r| Edge::new(service::encode_cursor(&r), DutyRecord(r))));
        Ok(conn)
    }

    /// 本组织履职得分的权重
    async fn duty_score_weights(&self, ctx: &Context<'_>) -> Result<DutyScoreWeights> {
        let actor = actor(ctx).await?;
        let (w, default) = service::weights_of(&ctx.state()?.db, actor).await?;
        Ok(DutyScoreWeights(w, default))
    }
}

#[derive(Default)]
pub struct DutyMutation;

#[Object]
impl DutyMutation {
    /// 设置本组织履职得分的权重（机关工作人员、管理员）
    async fn set_duty_score_weights(
        &self,
        ctx: &Context<'_>,
        input: DutyScoreWeightsInput,
    ) -> Result<DutyScoreWeights> {
        let actor = actor(ctx).await?;
        let changes = WeightChanges {
            proposal_led: input.proposal_led,
            proposal_cosigned: input.proposal_co_signed,
            proposal_registered: input.proposal_registered,
            proposal_key: input.proposal_key,
            piece_submitted: input.piece_submitted,
            adopted_national: input.adopted_national,
            adopted_provincial: input.adopted_provincial,
            adopted_municipal: input.adopted_municipal,
            adopted_county: input.adopted_county,
            visit_attended: input.visit_attended,
            visit_leave: input.visit_leave,
            briefing_read_rate: input.briefing_read_rate,
            commendation: input.commendation,
        };
        let w = service::set_weights(&ctx.state()?.db, actor, &changes).await?;
        Ok(DutyScoreWeights(w, false))
    }
}
