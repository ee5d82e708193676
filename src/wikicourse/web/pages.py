"""The dashboard's pages (placeholder until the pages land)."""
from fastapi import APIRouter

router = APIRouter()
