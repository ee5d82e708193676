"""The Core tables, named as in SQL: the table layer of set-based statements (the ORM classes
are for the few places that handle one row)."""
from sqlalchemy import select

from . import (
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
                      WebSession,
                      Upload, UploadRead, UploadFile, CourseUpload,
                      WikibaseRevision,
                      WikidataUserTimeslice,
)

courses = Course.__table__
course_wikis = CourseWiki.__table__
enrollments = Enrollment.__table__
users = User.__table__
articles = Article.__table__
ingestion_coverage = IngestionCoverage.__table__
revision_refs = RevisionRefs.__table__
course_wiki_timeslices = CourseWikiTimeslice.__table__
course_user_wiki_timeslices = CourseUserWikiTimeslice.__table__
article_course_timeslices = ArticleCourseTimeslice.__table__
course_user_article_timeslices = CourseUserArticleTimeslice.__table__  # the finest grain
articles_courses = ArticlesCourses.__table__
wikis = Wiki.__table__
wiki_accounts = WikiAccount.__table__
wiki_changes = WikiChange.__table__
wiki_change_edits = WikiChangeEdit.__table__
rereads = Reread.__table__
update_reasons = UpdateReason.__table__
update_runs = UpdateRun.__table__
revisions = Revision.__table__  # the shared ingestion store: one row per edit read
contribution_reads = ContributionRead.__table__  # the spans of each user's contributions it holds
campaigns = Campaign.__table__
campaign_courses = CampaignCourse.__table__
uploads = Upload.__table__  # the shared store of uploads (docs/uploads.md)
upload_reads = UploadRead.__table__
upload_files = UploadFile.__table__
course_uploads = CourseUpload.__table__  # the finest grain of uploads
web_sessions = WebSession.__table__  # signed-in browsers (wikicourse.sessions)
wikibase_revisions = WikibaseRevision.__table__  # Wikidata figures per stored revision (docs/wikidata.md)
wikidata_user_timeslices = WikidataUserTimeslice.__table__  # ... per course, student and window


def students(course_id: int):
    """SELECT of the user ids enrolled in the course as students: the only ones whose edits count."""
    return select(enrollments.c.user_id).where(enrollments.c.course_id == course_id,
                                               enrollments.c.role == "student")
