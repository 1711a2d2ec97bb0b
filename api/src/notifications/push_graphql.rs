//! `registerPushToken`, `unregisterPushToken`: the phone tells where its pushes go.
use async_graphql::{Context, Enum, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::push;
use crate::graphql::context::{ContextExt, to_id};
use entity::push_token;

/// 推送通道所属平台
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::push_token::PushPlatform")]
pub enum PushPlatform {
    /// 安卓（FCM 或经个推、极光的厂商通道）
    Android,
    /// iOS（APNs）
    Ios,
    /// 鸿蒙（HarmonyOS Push Kit）
    Harmony,
}

/// 本设备登记的推送令牌（令牌本身不回显）
pub struct PushDevice(push_token::Model);

#[Object]
impl PushDevice {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn platform(&self) -> PushPlatform {
        self.0.platform.into()
    }
    /// 本会话首次登记该令牌的时间
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// 最近一次登记的时间（应用每次启动时登记）
    async fn registered_at(&self) -> DateTime<Utc> {
        self.0.registered_at
    }
    /// 最近一次推送被厂商接收的时间
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
}

#[derive(Default)]
pub struct PushMutation;

#[Object]
impl PushMutation {
    /// 登记本设备的推送令牌（每次启动应用、令牌更新时调用）。一个会话（一台设备）一个令牌，新令牌替换旧的；
    /// 别的会话持有的同一令牌转到本会话。退出登录后不再推送
    async fn register_push_token(
        &self,
        ctx: &Context<'_>,
        platform: PushPlatform,
        #[graphql(desc = "厂商下发的设备令牌：8到512个字符，字母、数字和 - _ : .")] token: String,
    ) -> Result<PushDevice> {
        let viewer = ctx.viewer()?;
        Ok(PushDevice(push::register(&ctx.state()?.db, viewer, platform.into(), &token).await?))
    }

    /// 注销本人的某个推送令牌（如在设备上关闭推送）；返回是否删除了令牌（不是本人的令牌视同不存在）
    async fn unregister_push_token(&self, ctx: &Context<'_>, token: String) -> Result<bool> {
        let viewer = ctx.viewer()?;
        Ok(push::unregister(&ctx.state()?.db, viewer, &token).await?)
    }
}
