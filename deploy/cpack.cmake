# Packaging: `cpack -G DEB` in a build directory makes aerospike-backup-service_<version>_<arch>.deb with
# the executable, the systemd unit, a default configuration (a conffile) and maintainer scripts that
# create the service user. Included from the top-level CMakeLists.txt.
if(TARGET aerospike-backup-service)
  install(TARGETS aerospike-backup-service RUNTIME DESTINATION bin COMPONENT service)
endif()
install(FILES ${CMAKE_CURRENT_LIST_DIR}/aerospike-backup-service.service
        DESTINATION lib/systemd/system COMPONENT service)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/aerospike-backup-service.yml
        DESTINATION /etc/aerospike-backup-service COMPONENT service)
install(FILES ${CMAKE_SOURCE_DIR}/examples/local.yml ${CMAKE_SOURCE_DIR}/examples/s3.yml
        DESTINATION share/doc/aerospike-backup-service/examples COMPONENT service)

set(CPACK_PACKAGE_NAME "aerospike-backup-service")
set(CPACK_PACKAGE_VENDOR "aerospike-backup-service contributors")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Aerospike Backup Service: scheduled backups and restores of Aerospike clusters")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_GENERATOR "DEB")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "aerospike-backup-service contributors <noreply@example.invalid>")
set(CPACK_DEBIAN_PACKAGE_SECTION "database")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Library dependencies computed from the binary (dpkg-shlibdeps), plus adduser for the postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)  # debug info stays in the build tree
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${CMAKE_CURRENT_LIST_DIR}/debian/postinst;${CMAKE_CURRENT_LIST_DIR}/debian/prerm;${CMAKE_CURRENT_LIST_DIR}/debian/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
