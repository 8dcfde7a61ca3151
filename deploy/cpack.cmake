# Packaging: `cpack -G DEB` in a build directory makes aerospike-backup-service_<version>_<arch>.deb with
# the service executable, the command-line tools abs-backup and abs-restore, the systemd unit, a default
# configuration (a conffile), the example configurations and the monitoring files (Grafana dashboard,
# Prometheus alert rules), and maintainer scripts that create the service user. Included from the
# top-level CMakeLists.txt; tests/deploy/package_test.sh builds and inspects the package.
#
# abs-test-server is not packaged: it is the project's in-memory stand-in for an Aerospike cluster,
# used by the tests and the demo; an operator backs up real clusters and never needs it.
foreach(program aerospike-backup-service abs-backup abs-restore)
  if(TARGET ${program})
    install(TARGETS ${program} RUNTIME DESTINATION bin COMPONENT service)
  endif()
endforeach()
install(FILES ${CMAKE_CURRENT_LIST_DIR}/aerospike-backup-service.service
        DESTINATION lib/systemd/system COMPONENT service)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/aerospike-backup-service.yml
        DESTINATION /etc/aerospike-backup-service COMPONENT service)
install(FILES ${CMAKE_SOURCE_DIR}/examples/local.yml ${CMAKE_SOURCE_DIR}/examples/s3.yml
        DESTINATION share/doc/aerospike-backup-service/examples COMPONENT service)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/grafana/aerospike-backup-service.json ${CMAKE_CURRENT_LIST_DIR}/grafana/README.md
        DESTINATION share/aerospike-backup-service/grafana COMPONENT service)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/prometheus/alerts.yml ${CMAKE_CURRENT_LIST_DIR}/prometheus/README.md
        DESTINATION share/aerospike-backup-service/prometheus COMPONENT service)

set(CPACK_PACKAGE_NAME "aerospike-backup-service")
set(CPACK_PACKAGE_VENDOR "aerospike-backup-service contributors")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Aerospike Backup Service: scheduled backups and restores of Aerospike clusters")
set(CPACK_PACKAGE_DESCRIPTION
    "A service that backs up and restores Aerospike clusters on a schedule, driven by a YAML configuration and \
a REST API compatible with Aerospike's ABS 3.x (systemd unit aerospike-backup-service, configuration in \
/etc/aerospike-backup-service), with Prometheus metrics, alert rules and a Grafana dashboard \
(/usr/share/aerospike-backup-service). Also the command-line tools abs-backup and abs-restore, which take \
asbackup's and asrestore's options. The project's in-memory test cluster (abs-test-server) is not included.")
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
