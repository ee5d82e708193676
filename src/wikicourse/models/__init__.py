"""The tables (docs/concepts.md), one module per group."""
from ..roles import ROLES
from .auth import TOKEN_ROLES, AccessToken, WebSession
from .base import Base, UTCDateTime
from .campaign import Campaign, CampaignCourse
from .course import (Course, CourseWiki, Enrollment, IngestionCoverage, Reread, UpdateReason, UpdateRequest,
                     UpdateRun)
from .timeslices import (
                         ArticleCourseTimeslice,
                         ArticlesCourses,
                         CourseUserArticleTimeslice,
                         CourseUserWikiTimeslice,
                         CourseWikiTimeslice,
)
from .uploads import CourseUpload, Upload, UploadFile, UploadRead
from .wikidata import WikibaseRevision, WikidataUserTimeslice
from .wiki import (Article, ContributionRead, Revision, RevisionRefs, User, Wiki, WikiAccount, WikiChange,
                   WikiChangeEdit)

__all__ = [
    "TOKEN_ROLES", "AccessToken", "WebSession",
    "Base", "UTCDateTime", "ROLES", "Course", "CourseWiki", "Enrollment", "IngestionCoverage",
    "UpdateRun", "UpdateRequest", "ArticleCourseTimeslice", "ArticlesCourses", "CourseUserArticleTimeslice",
    "CourseUserWikiTimeslice", "CourseWikiTimeslice", "Article", "RevisionRefs", "User", "Wiki",
    "WikiAccount", "WikiChange", "WikiChangeEdit", "Reread", "UpdateReason",
    "Revision", "ContributionRead", "Campaign", "CampaignCourse",
    "Upload", "UploadRead", "UploadFile", "CourseUpload",
    "WikibaseRevision", "WikidataUserTimeslice",
]
