"""Short names for the Core tables the timeslice engine works on."""
from sqlalchemy import select

from ..models import (
                      Article,
                      Campaign,
                      CampaignCourse,
                      ContributionRead,
                      ArticleCourseTimeslice,
                      ArticlesCourses,
                      Course,
                      CourseUserArticleTimeslice,
                      CourseUserWikiTimeslice,
                      CourseWiki,
                      CourseWikiTimeslice,
                      Enrollment,
                      IngestionCoverage,
                      Reread,
                      Revision,
                      RevisionRefs,
                      UpdateReason,
                      UpdateRun,
                      User,
                      Wiki,
                      WikiAccount,
                      WikiChange,
                      WikiChangeEdit,
)

courses = Course.__table__
course_wikis = CourseWiki.__table__
enrollments = Enrollment.__table__
users = User.__table__
articles = Article.__table__
coverage = IngestionCoverage.__table__
revision_refs = RevisionRefs.__table__
cwt = CourseWikiTimeslice.__table__  # course wiki timeslices
cuwt = CourseUserWikiTimeslice.__table__  # course user wiki timeslices
act = ArticleCourseTimeslice.__table__  # article course timeslices
fine = CourseUserArticleTimeslice.__table__  # finest grain: course, user, article, window
articles_courses = ArticlesCourses.__table__
wikis = Wiki.__table__
accounts = WikiAccount.__table__
wiki_changes = WikiChange.__table__
change_edits = WikiChangeEdit.__table__
rereads = Reread.__table__
update_reasons = UpdateReason.__table__
update_runs_table = UpdateRun.__table__
revisions = Revision.__table__  # the shared ingestion store: one row per edit read
reads = ContributionRead.__table__  # the spans of each user's contributions it holds
campaigns = Campaign.__table__
campaign_courses = CampaignCourse.__table__


def students(course_id: int):
    """SELECT of the user ids enrolled in the course as students: the only ones whose edits count."""
    return select(enrollments.c.user_id).where(enrollments.c.course_id == course_id,
                                               enrollments.c.role == "student")
