#include <gtest/gtest.h>

#include <set>
#include <string>

#include "forgedb/forges/phabricator/objects.hpp"

namespace forgedb::process::phabricator {
namespace {

TEST(PhidType, IsTheSecondPartOfAPhid) {
    EXPECT_EQ(PhidType("PHID-TASK-abcdefghijklmnopqrst"), "TASK");
    EXPECT_EQ(PhidType("PHID-DREV-x"), "DREV");
    EXPECT_EQ(PhidType("PHID-USER-"), "USER");
    EXPECT_EQ(PhidType("PHID--x"), "");  // a PHID shape, with an empty type
    EXPECT_EQ(PhidType("PHID-TASK"), std::nullopt);
    EXPECT_EQ(PhidType("phid-TASK-x"), std::nullopt);
    EXPECT_EQ(PhidType("T123"), std::nullopt);
    EXPECT_EQ(PhidType(""), std::nullopt);
}

TEST(ObjectTypes, MirroredTypesHaveATableAndAProcessFunction) {
    std::set<std::string> mirrored;
    std::set<std::string> seen;
    for (const ObjectType* type : kObjectTypes) {
        EXPECT_TRUE(seen.insert(std::string(type->phid_type)).second) << type->phid_type;
        EXPECT_EQ(FindObjectType(type->phid_type), type);
        EXPECT_FALSE(type->search_method.empty()) << type->phid_type;
        EXPECT_EQ(type->table != nullptr, type->process != nullptr) << type->phid_type;
        if (type->mirrored()) mirrored.insert(std::string(type->phid_type));
    }
    EXPECT_EQ(mirrored, (std::set<std::string>{"TASK", "DREV", "USER"}));
    EXPECT_EQ(kTaskType.table->name, "phabricator_task");
    EXPECT_EQ(kRevisionType.table->name, "phabricator_revision");
    EXPECT_EQ(kUserType.table->name, "phabricator_user");
    EXPECT_FALSE(kProjectType.mirrored());
    EXPECT_EQ(FindObjectType("CMIT"), nullptr);
    EXPECT_EQ(FindObjectType("task"), nullptr);  // PHID types are upper case
}

}  // namespace
}  // namespace forgedb::process::phabricator
