import { useMemo, useState } from 'react';
import { AppShell, Button, Group, Text, Title } from '@mantine/core';
import { ApiClient } from './api/client';
import { SignIn } from './auth/SignIn';
import { clearSession, loadSession, type Session } from './auth/session';
import { FleetOverview } from './fleet/FleetOverview';

/** The console: sign-in, then the fleet. Everything goes through the public REST API. */
export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const client = useMemo(() => new ApiClient(session?.token ?? null), [session]);
  if (!session) return <SignIn onSignedIn={setSession} />;
  return (
    <AppShell header={{ height: 56 }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Title order={3}>EdgeFleet</Title>
          <Group>
            <Text size="sm" data-testid="user">
              {session.user.username} ({session.user.role})
            </Text>
            <Button
              variant="subtle"
              size="xs"
              onClick={() => {
                clearSession();
                setSession(null);
              }}
            >
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Main>
        <FleetOverview client={client} />
      </AppShell.Main>
    </AppShell>
  );
}
