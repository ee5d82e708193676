<?php
/**
 * Create many accounts in one PHP process and one transaction (createAndPromote.php costs
 * a process, a password hash and an SQLite commit per user). Names come one per line on
 * stdin; accounts get no password, since the tests only need them to own imported edits.
 * Existing accounts are left alone.
 *
 * Usage: MW_CONFIG_FILE=$ROOT/LocalSettings.php php create_users.php < names.txt
 */

use MediaWiki\Auth\AuthManager;
use MediaWiki\MediaWikiServices;

require_once ( getenv( 'MW_INSTALL_PATH' ) ?: '/usr/share/mediawiki' ) . '/maintenance/Maintenance.php';

class WikicourseCreateUsers extends Maintenance {
	public function __construct() {
		parent::__construct();
		$this->addDescription( 'Create the accounts named on stdin, one per line' );
	}

	public function execute() {
		$services = MediaWikiServices::getInstance();
		$created = 0;
		$dbw = $this->getDB( DB_PRIMARY );
		$this->beginTransaction( $dbw, __METHOD__ );
		while ( ( $line = fgets( STDIN ) ) !== false ) {
			$name = trim( $line );
			if ( $name === '' ) {
				continue;
			}
			$user = $services->getUserFactory()->newFromName( $name );
			if ( !$user ) {
				$this->fatalError( "invalid username: $name" );
			}
			if ( $user->idForName() !== 0 ) {
				continue;
			}
			$status = $services->getAuthManager()->autoCreateUser(
				$user, AuthManager::AUTOCREATE_SOURCE_MAINT, false
			);
			if ( !$status->isGood() ) {
				$this->fatalError( "$name: " . $status->getMessage( false, false, 'en' )->text() );
			}
			$created++;
		}
		$this->commitTransaction( $dbw, __METHOD__ );
		SiteStatsUpdate::factory( [ 'users' => $created ] )->doUpdate();
		$this->output( "created $created accounts\n" );
	}
}

$maintClass = WikicourseCreateUsers::class;
require_once RUN_MAINTENANCE_IF_MAIN;
