"""The domain model. Importing this package registers every table on ``db.metadata``."""

from survey.models.api_token import ApiToken
from survey.models.campaign import (
    Campaign,
    CampaignScope,
    CampaignStateError,
    CampaignStatus,
    Invitation,
)
from survey.models.centre import Centre, School
from survey.models.enums import (
    Audience,
    CloseReason,
    DisabilityType,
    Focus,
    HoldReason,
    Level,
    QuestionnaireMode,
    ReportType,
    Role,
    TrajectoryStatus,
)
from survey.models.evaluation import (
    Answer,
    AuditEntry,
    Decision,
    Evaluation,
    Goal,
    GoalProgress,
    GoalResult,
    PasswordToken,
)
from survey.models.questionnaire import QuestionnaireVersion
from survey.models.response import (
    DONT_KNOW,
    AnonymousAnswer,
    AnonymousComment,
    AnonymousResponse,
    MatrixAnswer,
    MatrixComment,
    MatrixResponse,
)
from survey.models.staff import StaffUser
from survey.models.trajectory import (
    InvalidTransitionError,
    Trajectory,
    TrajectoryStatusChange,
    trajectory_coach,
)

__all__ = [
    "DONT_KNOW",
    "AnonymousAnswer",
    "AnonymousComment",
    "AnonymousResponse",
    "Answer",
    "ApiToken",
    "Audience",
    "AuditEntry",
    "Campaign",
    "CampaignScope",
    "CampaignStateError",
    "CampaignStatus",
    "Centre",
    "CloseReason",
    "Decision",
    "DisabilityType",
    "Evaluation",
    "Focus",
    "Goal",
    "GoalProgress",
    "GoalResult",
    "HoldReason",
    "InvalidTransitionError",
    "Invitation",
    "Level",
    "MatrixAnswer",
    "MatrixComment",
    "MatrixResponse",
    "PasswordToken",
    "QuestionnaireMode",
    "QuestionnaireVersion",
    "ReportType",
    "Role",
    "School",
    "StaffUser",
    "Trajectory",
    "TrajectoryStatus",
    "TrajectoryStatusChange",
    "trajectory_coach",
]

# The tables of answers in transit live with the code that alone may write them.
from survey.privacy import models as _privacy_models  # noqa: F401
